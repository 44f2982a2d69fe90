//! The `terraform-provider-eks` binary: Terraform launches it as a plugin.

use anyhow::Context as _;
use terraform_provider_eks::{logging, provider::EksProvider, server, PROVIDER_ADDRESS};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-v") {
        println!("terraform-provider-eks v{}", env!("CARGO_PKG_VERSION"));
        return std::process::ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        eprintln!(
            "terraform-provider-eks v{}\n\n\
             A Terraform/OpenTofu provider: Terraform starts it, you do not.\n\n\
             Options:\n  --debug    serve without Terraform's launcher and print TF_REATTACH_PROVIDERS\n  \
             --version  print the version",
            env!("CARGO_PKG_VERSION")
        );
        return std::process::ExitCode::SUCCESS;
    }
    let debug = args.iter().any(|a| a == "--debug");
    logging::init();
    match run(debug) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // Plain text on stderr: Terraform shows it if the plugin fails to start.
            eprintln!("{e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(debug: bool) -> anyhow::Result<()> {
    // One thread is enough: every request is I/O-bound or a few hundred
    // microseconds of CPU, and Terraform itself needs the machine's cores.
    // A multi-thread runtime costs about 0.2 ms more before the handshake
    // (its worker threads), 0.5 MiB more idle memory and cross-thread
    // wake-ups on every request (issue 14, bench-results/experiments/).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        server::serve(
            EksProvider::new(),
            server::ServeOptions {
                debug,
                provider_address: PROVIDER_ADDRESS.to_owned(),
            },
        )
        .await
        .context("terraform-provider-eks")
    })?;
    // Don't wait for lingering tasks (e.g. SDK connection pools).
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    Ok(())
}
