use std::io::IsTerminal;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use sagemaker_images::config::{Cli, Command, ConsoleLinkArgs, LogFormat};
use sagemaker_images::console::link;
use sagemaker_images::{healthcheck, server};

/// The server allocates small, short-lived buffers on every request; mimalloc serves them faster than the
/// system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    let outcome = match cli.command {
        Command::Serve(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(server::serve(args))),
        Command::Migrate(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(server::migrate(args))),
        Command::ConsoleLink(args) => console_link(&args),
        Command::Healthcheck(args) => {
            let url = args.url();
            match healthcheck::status_of(&url, args.timeout) {
                Ok(200) => Ok(()),
                Ok(status) => Err(anyhow::anyhow!("{url} answered {status}")),
                Err(error) => Err(error.context(format!("{url} did not answer"))),
            }
        }
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sagemaker-images: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a console login link of the server at `args.endpoint`.
fn console_link(args: &ConsoleLinkArgs) -> anyhow::Result<()> {
    let key = match (&args.access_key_id, &args.secret_access_key) {
        (Some(access_key_id), Some(secret_access_key)) => Some(link::SigningKey {
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            region: args.region.clone(),
        }),
        (None, None) => None,
        _ => anyhow::bail!("give both the access key id and the secret access key, or neither"),
    };
    let url = link::mint(&args.endpoint, key.as_ref(), args.timeout)?;
    println!("{url}");
    Ok(())
}
