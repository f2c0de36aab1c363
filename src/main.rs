fn main() -> std::process::ExitCode {
    scorebook::cli::main()
}
