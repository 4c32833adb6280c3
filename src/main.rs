use std::process::ExitCode;

fn main() -> ExitCode {
    runbook::cli::main()
}
