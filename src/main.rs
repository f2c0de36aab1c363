fn main() -> std::process::ExitCode {
    // Planning and unparsing a whole book recurse deeply: give them room.
    scorebook::compile::sql::with_deep_stack(scorebook::cli::main)
}
