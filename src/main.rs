// mimalloc rather than the system allocator: a run allocates and frees arrays at a high rate
// from both cores, where glibc's malloc spends a tenth of the run (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Planning and unparsing a whole book recurse deeply: give them room.
    scorebook::compile::sql::with_deep_stack(scorebook::cli::main)
}
