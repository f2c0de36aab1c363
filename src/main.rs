// mimalloc rather than the system allocator: a run allocates and frees arrays at a high rate
// from both cores, and glibc's malloc handed pages back and faulted them in again, a third of
// the run's CPU time in the kernel (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Planning and unparsing a whole book recurse deeply: give them room.
    scorebook::compile::sql::with_deep_stack(scorebook::cli::main)
}
