//! Command line and environment: every flag of `serve` can also be set by an environment variable.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::auth::{Credentials, CredentialsError};

#[derive(Debug, Parser)]
#[command(
    name = "sagemaker-images",
    version,
    about = "A SageMaker-compatible Image API server"
)]
pub struct Cli {
    /// How logs are written to standard error: lines for people, or one JSON object per line.
    #[arg(long, global = true, env = "SAGEMAKER_IMAGES_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

// Parsed once at start: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SageMaker Image API (AWS JSON 1.1 over HTTP, SigV4-signed requests).
    Serve(ServeArgs),
    /// Apply pending schema migrations to the store, then exit.
    Migrate(StoreArgs),
    /// Print a one-time login link of a running server's web console, minted by a control call signed with
    /// an administrator's key (read as the AWS CLI reads it); the secret key is never sent.
    ConsoleLink(ConsoleLinkArgs),
    /// Ask a running server whether it is ready: exit 0 if it is, 1 if not (for container health checks).
    Healthcheck(HealthcheckArgs),
}

#[derive(Debug, Args, Clone)]
pub struct HealthcheckArgs {
    /// The server to ask: its base URL (its readiness endpoint is asked), or the full URL of the endpoint
    /// to ask (such as `/_localstack/health`). Without it, the server `serve` would listen on, as the same
    /// variable sets it (a wildcard address is asked on loopback).
    #[arg(long, env = "SAGEMAKER_IMAGES_HEALTHCHECK_URL")]
    pub url: Option<String>,

    /// The address `serve` listens on, read from its variable so that a container's health check follows
    /// the port it is given.
    #[arg(
        long,
        env = "SAGEMAKER_IMAGES_LISTEN",
        default_value = "127.0.0.1:7447"
    )]
    pub listen: SocketAddr,

    /// How long to wait for the answer.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

impl HealthcheckArgs {
    /// The URL to ask.
    pub fn url(&self) -> String {
        if let Some(url) = &self.url {
            return url.clone();
        }
        let mut address = self.listen;
        if address.ip().is_unspecified() {
            address.set_ip(match address {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{address}")
    }
}

#[derive(Debug, Args, Clone)]
pub struct ConsoleLinkArgs {
    /// The server, as the SDKs' endpoint URL names it.
    #[arg(
        long,
        env = "AWS_ENDPOINT_URL_SAGEMAKER",
        default_value = "http://127.0.0.1:7447"
    )]
    pub endpoint: String,

    /// The administrator's access key id. Without one the call is unsigned, which a server on the built-in
    /// test key accepts from a local caller.
    #[arg(long, env = "AWS_ACCESS_KEY_ID")]
    pub access_key_id: Option<String>,

    /// The administrator's secret access key, used to sign and never sent.
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub secret_access_key: Option<String>,

    /// The region of the signature's scope.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
    pub region: String,

    /// How long to wait for the answer.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Directory of the embedded SQLite store (the default store); created if missing.
    #[arg(long, env = "SAGEMAKER_IMAGES_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// The size (bytes) the embedded store's write-ahead log is kept near: past it, a checkpoint waits for
    /// readers and empties the log, so that a burst of writes cannot fill the disk with it.
    #[arg(long, env = "SAGEMAKER_IMAGES_WAL_LIMIT", default_value_t = crate::store::DEFAULT_WAL_LIMIT)]
    pub wal_limit: u64,

    /// Use PostgreSQL (or a PostgreSQL-wire database such as CockroachDB or YugabyteDB) instead of the
    /// embedded store, e.g. postgres://user:password@host:5432/dbname?sslmode=require. Several server
    /// processes may share one database.
    #[arg(long, env = "SAGEMAKER_IMAGES_DATABASE_URL")]
    pub database_url: Option<String>,

    /// How long to wait at start for the database to become reachable.
    #[arg(long, env = "SAGEMAKER_IMAGES_DATABASE_WAIT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub database_wait: Duration,

    /// Most database connections this process holds (PostgreSQL only). Several processes sharing a database
    /// together need no more than its max_connections (100 by default in PostgreSQL).
    #[arg(long, env = "SAGEMAKER_IMAGES_DATABASE_CONNECTIONS", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub database_connections: u16,
}

impl StoreArgs {
    /// Which store these arguments select, for logs (without the database password).
    pub fn describe(&self) -> String {
        match &self.database_url {
            Some(url) => match url.parse::<postgres::Config>() {
                Ok(config) => format!(
                    "postgres database {:?} on {:?}",
                    config.get_dbname().unwrap_or(""),
                    config.get_hosts()
                ),
                Err(_) => "postgres".to_owned(),
            },
            None => format!("sqlite in {}", self.data_dir.display()),
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on. Port 0 picks a free port; the chosen address is printed on standard output.
    #[arg(
        long,
        env = "SAGEMAKER_IMAGES_LISTEN",
        default_value = "127.0.0.1:7447"
    )]
    pub listen: SocketAddr,

    #[command(flatten)]
    pub store: StoreArgs,

    /// TOML file of [[credentials]] tables (access_key_id, secret_access_key, account_id; optionally admin,
    /// and user, policy and policy_files for IAM identity policies) that replaces the built-in test/test
    /// credentials of account 000000000000.
    #[arg(long, env = "SAGEMAKER_IMAGES_CREDENTIALS")]
    pub credentials: Option<PathBuf>,

    /// Accept the well-known test/test credentials on an address other than loopback. The container image
    /// sets it, since a container's only useful address is its network's: publish its port on 127.0.0.1,
    /// or give it a credentials file for anything shared.
    #[arg(long, env = "SAGEMAKER_IMAGES_ALLOW_TEST_CREDENTIALS_ON_ANY_ADDRESS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub allow_test_credentials_on_any_address: bool,

    /// How long an image stays CREATING, UPDATING or DELETING (e.g. 0s, 500ms, 2s). 0 makes transitions
    /// instant.
    #[arg(long, env = "SAGEMAKER_IMAGES_TRANSITION_DELAY", default_value = "0s", value_parser = humantime::parse_duration)]
    pub transition_delay: Duration,

    /// How many ListImages answers the embedded store keeps for reuse until the next change (0: none).
    /// Each is one page, about 25 KB at 100 images.
    #[arg(long, env = "SAGEMAKER_IMAGES_LIST_CACHE", default_value_t = 512)]
    pub list_cache: usize,

    /// How many DescribeImage answers the embedded store keeps for reuse until the next change (0: none).
    /// Each is about 400 bytes.
    #[arg(long, env = "SAGEMAKER_IMAGES_DESCRIBE_CACHE", default_value_t = 4096)]
    pub describe_cache: usize,

    /// A JSON document of images, versions, app image configs and tags per account and region (the
    /// shape `GET /_sagemaker-images/state` answers) to create at start; what exists already is kept.
    #[arg(long, env = "SAGEMAKER_IMAGES_INIT_STATE")]
    pub init_state: Option<PathBuf>,

    /// Stop (as on SIGTERM) when the process that started this one exits: a test harness killed with
    /// SIGKILL leaves no server behind.
    #[arg(long, env = "SAGEMAKER_IMAGES_EXIT_WITH_PARENT", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub exit_with_parent: bool,

    #[command(flatten)]
    pub limits: Limits,

    /// How many of the most recent API requests the console's request log keeps (0: none are kept). Each
    /// entry holds at most 4 KiB of the request body and as much of the response's.
    #[arg(long, env = "SAGEMAKER_IMAGES_REQUEST_LOG_SIZE", default_value_t = 200)]
    pub request_log_size: usize,

    /// Further host names (comma-separated; any case, any port) that may use the control plane and the
    /// console under the built-in key's rule, which admits loopback names only: the name another
    /// container calls this server by, say `sagemaker`.
    #[arg(long, env = "SAGEMAKER_IMAGES_CONTROL_HOSTS", default_value = "")]
    pub control_hosts: crate::control::AllowedHosts,

    /// Log one line per request at INFO (`sagemaker.CreateImage 000000000000/us-east-1 => 200 (0.4 ms)`).
    #[arg(long, env = "SAGEMAKER_IMAGES_LOG_REQUESTS", default_value_t = true, action = clap::ArgAction::Set)]
    pub log_requests: bool,
}

/// What one client, or all of them together, may cost the server.
#[derive(Debug, Args, Clone)]
pub struct Limits {
    /// How long a connection may take to deliver a request's head (request line and headers), counted
    /// from its first byte.
    #[arg(long, env = "SAGEMAKER_IMAGES_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_read_timeout: Duration,

    /// How long a keep-alive connection may stay open with no request in it.
    #[arg(long, env = "SAGEMAKER_IMAGES_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,

    /// How long reading a request's body may take, however slowly it arrives.
    #[arg(long, env = "SAGEMAKER_IMAGES_REQUEST_READ_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_read_timeout: Duration,

    /// Most connections open at once; past it a new connection is closed at once. Kept below the file
    /// descriptor limit (raised to its hard limit at start) with room for the store's own files.
    #[arg(long, env = "SAGEMAKER_IMAGES_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Largest request head (request line and headers), in bytes; larger is answered 431.
    #[arg(long, env = "SAGEMAKER_IMAGES_MAX_HEADER_BYTES", default_value_t = 16 * 1024)]
    pub max_header_bytes: usize,

    /// Most headers a request may carry.
    #[arg(long, env = "SAGEMAKER_IMAGES_MAX_HEADERS", default_value_t = 100)]
    pub max_headers: usize,

    /// Most API requests in progress at once in this process; past it a request is answered
    /// ThrottlingException at once, so SDKs back off and retry.
    #[arg(long, env = "SAGEMAKER_IMAGES_MAX_IN_FLIGHT", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_in_flight: u32,

    /// After SIGTERM, how long requests in progress may take before their connections are closed.
    #[arg(long, env = "SAGEMAKER_IMAGES_SHUTDOWN_GRACE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    #[error(
        "refusing to listen on {0} with the well-known test/test credentials: anyone who can reach this \
         address could use them. Pass --credentials FILE with keys of your own, listen on a loopback address, \
         or accept the risk with --allow-test-credentials-on-any-address."
    )]
    WellKnownCredentialsExposed(SocketAddr),
}

impl ServeArgs {
    /// The credentials to accept, refusing the well-known pair anywhere but loopback unless allowed.
    pub fn credentials(&self) -> Result<Credentials, ConfigError> {
        let credentials = match &self.credentials {
            Some(path) => Credentials::from_file(path)?,
            None => Credentials::well_known(),
        };
        if credentials.includes_well_known()
            && !self.listen.ip().is_loopback()
            && !self.allow_test_credentials_on_any_address
        {
            return Err(ConfigError::WellKnownCredentialsExposed(self.listen));
        }
        Ok(credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(args: &[&str]) -> Result<ServeArgs, clap::Error> {
        let mut argv = vec!["sagemaker-images", "serve"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv).map(|cli| match cli.command {
            Command::Serve(args) => args,
            _ => unreachable!("parsed serve"),
        })
    }

    #[test]
    fn pool_and_cache_sizes_have_defaults_and_take_flags() {
        let defaults = serve_args(&[]).expect("defaults");
        assert_eq!(defaults.store.database_connections, 32);
        assert_eq!(defaults.list_cache, 512);
        assert_eq!(defaults.describe_cache, 4096);
        let set = serve_args(&[
            "--database-connections",
            "64",
            "--list-cache",
            "0",
            "--describe-cache",
            "0",
        ])
        .expect("set");
        assert_eq!(set.store.database_connections, 64);
        assert_eq!(set.list_cache, 0);
        assert_eq!(set.describe_cache, 0);
        assert!(serve_args(&["--database-connections", "0"]).is_err());
    }

    #[test]
    fn the_healthcheck_asks_where_serve_listens() {
        let url_of = |args: &[&str]| {
            let mut argv = vec!["sagemaker-images", "healthcheck"];
            argv.extend_from_slice(args);
            match Cli::try_parse_from(argv).expect("parsed").command {
                Command::Healthcheck(args) => args.url(),
                _ => unreachable!("parsed healthcheck"),
            }
        };
        for (args, expected) in [
            (&[][..], "http://127.0.0.1:7447"),
            (&["--listen", "0.0.0.0:4566"][..], "http://127.0.0.1:4566"),
            (&["--listen", "[::]:7447"][..], "http://[::1]:7447"),
            (&["--listen", "10.0.0.2:80"][..], "http://10.0.0.2:80"),
            (
                &["--url", "http://sagemaker:7447", "--listen", "0.0.0.0:1"][..],
                "http://sagemaker:7447",
            ),
        ] {
            assert_eq!(url_of(args), expected, "{args:?}");
        }
    }

    #[test]
    fn control_hosts_are_names_without_ports() {
        let none = crate::control::AllowedHosts::default();
        assert_eq!(serve_args(&[]).expect("defaults").control_hosts, none);
        assert_eq!(
            serve_args(&["--control-hosts", ""])
                .expect("empty")
                .control_hosts,
            none
        );
        let set = serve_args(&["--control-hosts", "sagemaker, Images-1,"]).expect("set");
        let names: crate::control::AllowedHosts = "sagemaker,images-1".parse().expect("names");
        assert_eq!(set.control_hosts, names);
        for bad in ["sagemaker:7447", "a b", "http://sagemaker"] {
            assert!(serve_args(&["--control-hosts", bad]).is_err(), "{bad}");
        }
    }
}
