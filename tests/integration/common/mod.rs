//! The harness: starts the real `sagemaker-images` binary on a free port with a fresh store, and gives tests
//! the real AWS SDK client and a raw signed requester for input clients refuse to send.
//!
//! The store is the embedded SQLite one, or, when `SAGEMAKER_IMAGES_TEST_DATABASE_URL` names a PostgreSQL
//! server, a database of its own created for the test and dropped after it: the whole suite runs against
//! either store unchanged.

#![allow(dead_code)] // Each test module uses a different part of the harness.

pub mod cases;
pub mod raw;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::config::{BehaviorVersion, Credentials, Region};

pub const ACCOUNT: &str = "000000000000";
pub const REGION: &str = "us-east-1";
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/SageMakerRole";

/// How a server is started.
#[derive(Clone, Default)]
pub struct Options {
    pub transition_delay: Option<&'static str>,
    /// Contents of a credentials TOML file to pass with --credentials.
    pub credentials_toml: Option<String>,
    pub extra_args: Vec<String>,
    /// Environment variables for the server, after the harness's own (so `RUST_LOG` may be replaced).
    pub env: Vec<(String, String)>,
    /// Where the server's standard error goes, instead of the test's.
    pub stderr_file: Option<PathBuf>,
    /// The embedded store's directory, instead of a fresh temporary one.
    pub data_dir: Option<PathBuf>,
    /// Reach the PostgreSQL database through this port of 127.0.0.1 (a proxy a test can cut).
    pub database_port: Option<u16>,
}

/// `url` with its host and port replaced by 127.0.0.1:`port`.
pub fn with_port(url: &str, port: u16) -> String {
    let (head, tail) = url.rsplit_once('@').expect("a URL with a user");
    let path = tail.find('/').map(|i| &tail[i..]).unwrap_or("");
    format!("{head}@127.0.0.1:{port}{path}")
}

/// The host and port of `url`.
pub fn authority(url: &str) -> String {
    let (_, tail) = url.rsplit_once('@').expect("a URL with a user");
    tail.split('/').next().unwrap_or(tail).to_owned()
}

/// The environment variable that selects the PostgreSQL store for the suite: a URL of a database the tests
/// may connect to in order to create and drop databases of their own.
pub const DATABASE_URL_VAR: &str = "SAGEMAKER_IMAGES_TEST_DATABASE_URL";

/// A PostgreSQL database made for one test, dropped when the last server using it is gone.
pub struct Database {
    admin_url: String,
    name: String,
    pub url: String,
}

/// Runs admin SQL on a thread of its own: the synchronous client must not run inside the tests' runtime.
fn admin(admin_url: &str, sql: String) {
    let admin_url = admin_url.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
        client
            .batch_execute(&sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .join()
    .expect("admin thread");
}

impl Database {
    pub fn create(admin_url: &str) -> Database {
        let name = format!("smi_test_{}", uuid::Uuid::new_v4().simple());
        admin(admin_url, format!("CREATE DATABASE {name}"));
        let base = admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(admin_url);
        Database {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        admin(
            &self.admin_url,
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        );
    }
}

/// The PostgreSQL database for a new server, when the suite runs against PostgreSQL.
fn new_database() -> Option<Arc<Database>> {
    std::env::var(DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
        .map(|url| Arc::new(Database::create(&url)))
}

pub struct Server {
    child: Option<Child>,
    pub endpoint: String,
    pub data_dir: tempfile::TempDir,
    options: Options,
    listen: String,
    // Declared after `child` so that the process is gone before its database is dropped.
    database: Option<Arc<Database>>,
}

fn spawn(
    data_dir: &Path,
    database: Option<&Database>,
    listen: &str,
    options: &Options,
) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sagemaker-images"));
    command
        .arg("serve")
        .arg("--listen")
        .arg(listen)
        .arg("--data-dir")
        .arg(options.data_dir.as_deref().unwrap_or(data_dir))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for var in [
        "SAGEMAKER_IMAGES_LISTEN",
        "SAGEMAKER_IMAGES_DATA_DIR",
        "SAGEMAKER_IMAGES_CREDENTIALS",
        "SAGEMAKER_IMAGES_ALLOW_TEST_CREDENTIALS_ON_ANY_ADDRESS",
        "SAGEMAKER_IMAGES_TRANSITION_DELAY",
        "SAGEMAKER_IMAGES_DATABASE_URL",
    ] {
        command.env_remove(var);
    }
    if let Some(database) = database {
        let url = match options.database_port {
            Some(port) => with_port(&database.url, port),
            None => database.url.clone(),
        };
        command.arg("--database-url").arg(url);
    }
    if let Some(delay) = options.transition_delay {
        command.arg("--transition-delay").arg(delay);
    }
    if let Some(toml) = &options.credentials_toml {
        let path = data_dir.join("credentials.toml");
        std::fs::write(&path, toml).expect("write credentials file");
        command.arg("--credentials").arg(path);
    }
    command.args(&options.extra_args);
    command.envs(options.env.iter().map(|(k, v)| (k, v)));
    if let Some(path) = &options.stderr_file {
        command.stderr(std::fs::File::create(path).expect("create the stderr file"));
    }
    let mut child = command.spawn().expect("start sagemaker-images");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the listening line");
    let endpoint = line
        .trim()
        .strip_prefix("sagemaker-images listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from the server: {line:?}"))
        .to_owned();
    (child, endpoint)
}

/// A server's standard error, written to a file with `RUST_LOG=info`.
pub struct InfoLog {
    dir: tempfile::TempDir,
}

impl InfoLog {
    fn path(&self) -> PathBuf {
        self.dir.path().join("stderr.log")
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        std::fs::read_to_string(self.path()).expect("the server's log")
    }
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(Options::default())
    }

    /// A server whose log lines, down to `info`, go to a file.
    pub fn start_logging() -> (Server, InfoLog) {
        let log = InfoLog {
            dir: tempfile::tempdir().expect("a directory for the log"),
        };
        let server = Server::start_with(Options {
            env: vec![("RUST_LOG".into(), "info".into())],
            stderr_file: Some(log.path()),
            ..Default::default()
        });
        (server, log)
    }

    pub fn start_with(options: Options) -> Server {
        Server::launch(new_database(), options)
    }

    /// Another server process on the same store as `other` (PostgreSQL only: an embedded store belongs to
    /// one process).
    pub fn start_sharing(other: &Server, options: Options) -> Server {
        assert!(
            other.database.is_some(),
            "only the PostgreSQL store can be shared by processes"
        );
        Server::launch(other.database.clone(), options)
    }

    fn launch(database: Option<Arc<Database>>, options: Options) -> Server {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let (child, endpoint) = spawn(
            data_dir.path(),
            database.as_deref(),
            "127.0.0.1:0",
            &options,
        );
        let listen = endpoint.trim_start_matches("http://").to_owned();
        Server {
            child: Some(child),
            endpoint,
            data_dir,
            options,
            listen,
            database,
        }
    }

    /// The URL of this server's PostgreSQL database, if that is its store.
    pub fn database_url(&self) -> Option<String> {
        self.database.as_ref().map(|d| d.url.clone())
    }

    /// True when this server's store is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.database.is_some()
    }

    /// Runs `sql` on this server's store directly, as an operator or an older version would.
    pub fn run_store_sql(&self, sql: &str) {
        match &self.database {
            Some(database) => admin(&database.url, sql.to_owned()),
            None => {
                rusqlite::Connection::open(self.data_dir.path().join("sagemaker-images.sqlite3"))
                    .and_then(|connection| connection.execute_batch(sql))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().to_owned()
    }

    /// Waits (at most `limit`) for the process to exit by itself; its exit code.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush or finish anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("kill -9");
            child.wait().expect("reap");
        }
    }

    /// SIGTERM, then wait for the process to exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server is running");
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("send SIGTERM");
        assert!(status.success());
        child.wait().expect("wait for exit")
    }

    /// Starts the server again on the same port and data directory.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop the server before restarting it");
        let (child, endpoint) = spawn(
            self.data_dir.path(),
            self.database.as_deref(),
            &self.listen,
            &self.options,
        );
        self.child = Some(child);
        self.endpoint = endpoint;
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// The AWS SDK client with the default test credentials in us-east-1, retries off so every answer
    /// is seen as the server gave it.
    pub fn client(&self) -> aws_sdk_sagemaker::Client {
        self.client_as("test", "test", REGION)
    }

    pub fn client_as(
        &self,
        access_key: &str,
        secret: &str,
        region: &str,
    ) -> aws_sdk_sagemaker::Client {
        let config = aws_sdk_sagemaker::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(Credentials::new(access_key, secret, None, None, "tests"))
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .retry_config(aws_sdk_sagemaker::config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_sdk_sagemaker::config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(30))
                    .build(),
            )
            .build();
        aws_sdk_sagemaker::Client::from_conf(config)
    }

    pub fn raw(&self) -> raw::RawClient {
        raw::RawClient::new(&self.endpoint)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

pub fn image_arn(name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{REGION}:{ACCOUNT}:image/{}",
        name.to_ascii_lowercase()
    )
}

/// The error code of an SDK error, for assertions.
pub fn code<E, R>(error: &aws_sdk_sagemaker::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<not a service error>")
        .to_owned()
}

/// Creates an image with only the required members, and asserts it was created.
pub async fn create_image(client: &aws_sdk_sagemaker::Client, name: &str) {
    client
        .create_image()
        .image_name(name)
        .role_arn(ROLE_ARN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create image {name}: {e:?}"));
}

/// An image in Amazon ECR, the BaseImage of the versions tests create.
pub const BASE_IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:latest";

pub fn version_arn(image: &str, version: i32) -> String {
    format!(
        "arn:aws:sagemaker:{REGION}:{ACCOUNT}:image-version/{}/{version}",
        image.to_ascii_lowercase()
    )
}

/// CreateImageVersion of [`BASE_IMAGE`] with these aliases (the SDK fills ClientToken); returns the ARN.
pub async fn create_version(
    client: &aws_sdk_sagemaker::Client,
    image: &str,
    aliases: &[&str],
) -> String {
    client
        .create_image_version()
        .image_name(image)
        .base_image(BASE_IMAGE)
        .set_aliases(Some(aliases.iter().map(|a| a.to_string()).collect()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create version of {image}: {e:?}"))
        .image_version_arn()
        .unwrap_or_default()
        .to_owned()
}

/// Creates an image and `versions` versions of it, [`pause`]d apart so that their times are ordered.
pub async fn create_image_with_versions(
    client: &aws_sdk_sagemaker::Client,
    name: &str,
    versions: usize,
) {
    create_image(client, name).await;
    for _ in 0..versions {
        create_version(client, name, &[]).await;
        pause().await;
    }
}

/// The message of an SDK service error.
pub fn message<E, R>(error: &aws_sdk_sagemaker::error::SdkError<E, R>) -> String
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.message())
        .unwrap_or_default()
        .to_owned()
}

/// Follows NextToken from the first page to the last: every item in order, and how many pages held them.
/// `fetch` asks for the page after a token (the first with none) and answers its items and its NextToken.
pub async fn every_page<T, Page>(
    page_size: usize,
    mut fetch: impl FnMut(Option<String>) -> Page,
) -> (Vec<T>, usize)
where
    Page: std::future::Future<Output = (Vec<T>, Option<String>)>,
{
    let (mut items, mut pages, mut token) = (Vec::new(), 0, None);
    loop {
        let (page, next) = fetch(token).await;
        pages += 1;
        assert!(page.len() <= page_size, "page {pages} holds {}", page.len());
        items.extend(page);
        match next {
            Some(next) => token = Some(next),
            None => return (items, pages),
        }
        assert!(pages < 20, "paging does not end");
    }
}

/// A few milliseconds: timestamps have millisecond resolution, so two writes this far apart are ordered.
pub async fn pause() {
    tokio::time::sleep(Duration::from_millis(5)).await;
}

/// Every tag of `arn` as (key, value) pairs, in the order ListTags gives them: one page, as a resource holds
/// at most 50 tags and 50 is the default page size.
pub async fn list_tags(client: &aws_sdk_sagemaker::Client, arn: &str) -> Vec<(String, String)> {
    let output = client
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .unwrap_or_else(|e| panic!("list tags of {arn}: {e:?}"));
    assert_eq!(output.next_token(), None, "the tags of {arn} in one page");
    output
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_owned(),
                t.value().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

pub fn tag(key: &str, value: &str) -> aws_sdk_sagemaker::types::Tag {
    aws_sdk_sagemaker::types::Tag::builder()
        .key(key)
        .value(value)
        .build()
}

pub fn pairs(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `token` with one character in its middle changed.
pub fn tamper(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let middle = chars.len() / 2;
    chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

/// A server process started by a test, killed when the test ends.
pub struct Spawned(pub Child);

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn spawn_serve(data_dir: &std::path::Path, extra: &[&str]) -> Spawned {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sagemaker-images"));
    command
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in [
        "SAGEMAKER_IMAGES_LISTEN",
        "SAGEMAKER_IMAGES_DATA_DIR",
        "SAGEMAKER_IMAGES_CREDENTIALS",
        "SAGEMAKER_IMAGES_ALLOW_TEST_CREDENTIALS_ON_ANY_ADDRESS",
        "SAGEMAKER_IMAGES_TRANSITION_DELAY",
    ] {
        command.env_remove(var);
    }
    Spawned(command.spawn().expect("start sagemaker-images"))
}

/// Waits (at most 10 s) for the process to exit on its own; returns its exit status and standard error.
pub fn wait_for_exit(spawned: &mut Spawned) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = spawned.0.try_wait().expect("try_wait") {
            let mut stderr = String::new();
            spawned
                .0
                .stderr
                .take()
                .expect("piped stderr")
                .read_to_string(&mut stderr)
                .expect("read stderr");
            return (status, stderr);
        }
        assert!(
            Instant::now() < deadline,
            "the server did not exit within 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
