//! A real `switchyard serve` on a loopback port for the HTTP tests, a small client for it, and
//! fresh PostgreSQL schemas so that tests on the shared server never see each other's rows.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::switchyard_binary;

/// The operator token the test servers run with.
pub const OPERATOR: &str = "test-operator-token";

/// Which database a test server keeps its state in.
#[derive(Clone, Debug)]
pub enum Database {
    /// The SQLite file in the server's data directory.
    Sqlite,
    /// A PostgreSQL URL.
    Postgres(String),
}

/// A running server. Dropping it kills the process.
pub struct Server {
    /// Behind a lock so that a test can kill the server while its clients still hold it.
    child: std::sync::Mutex<Child>,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub data_dir: PathBuf,
    agent: ureq::Agent,
}

/// A response: the status and the body as JSON (`Value::Null` for an empty or non-JSON body),
/// with its content type.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Value,
    pub text: String,
}

impl Server {
    /// Starts `switchyard serve` on a free port with `data_dir`, and waits until it listens.
    pub fn start(data_dir: &Path, database: &Database, extra: &[&str]) -> Server {
        let mut command = Command::new(switchyard_binary());
        command
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--operator-token")
            .arg(OPERATOR)
            .arg("--sync-ms")
            .arg("200")
            .args(extra)
            .env_remove("SWITCHYARD_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Database::Postgres(url) = database {
            command.arg("--database-url").arg(url);
        }
        let mut child = command.spawn().expect("switchyard serve starts");

        // The server prints its address once it listens.
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("listening on ") {
                    let _ = sender.send(address.to_string());
                }
            }
        });
        let base = match receiver.recv_timeout(Duration::from_secs(120)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!("switchyard serve did not start listening within 120 s");
            }
        };
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Server {
            child: std::sync::Mutex::new(child),
            base,
            data_dir: data_dir.to_path_buf(),
            agent,
        }
    }

    /// Sends a request with an optional bearer token and raw body; panics if the server does
    /// not answer.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.try_send(method, path, token, content_type, body, headers)
            .expect("the server answers")
    }

    /// Sends a request; an error when the connection fails.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Result<Reply, ureq::Error> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", content_type);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body).expect("a well-formed request");
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response
            .body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            content_type,
            body,
            text,
        })
    }

    /// Sends JSON (or nothing, for `Value::Null`).
    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: &Value) -> Reply {
        let bytes = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(body).expect("JSON")
        };
        self.send(method, path, token, "application/json", bytes, &[])
    }

    /// Creates a tenant through the operator API and returns its API key and webhook secret.
    pub fn create_tenant(&self, id: &str) -> (String, String) {
        let reply = self.call(
            "POST",
            "/v1/tenants",
            Some(OPERATOR),
            &serde_json::json!({"id": id}),
        );
        assert_eq!(reply.status, 201, "creating tenant {id}: {}", reply.text);
        (
            reply.body["api_key"].as_str().expect("a key").to_string(),
            reply.body["webhook_secret"]
                .as_str()
                .expect("a secret")
                .to_string(),
        )
    }

    /// Loads the example network and its stock into a tenant.
    pub fn load_example(&self, key: &str) {
        let loaded = switchyard::files::load_network_dir(&crate::example_network())
            .expect("the example network loads");
        let mut network = serde_json::to_value(loaded.network.to_parts()).expect("JSON");
        network["policy"] = serde_json::to_value(&loaded.policy).expect("JSON");
        let reply = self.call("PUT", "/v1/network", Some(key), &network);
        assert_eq!(reply.status, 200, "loading the network: {}", reply.text);
        let mut positions = Vec::new();
        for (node_at, node) in loaded.network.nodes().iter().enumerate() {
            for (sku_at, sku) in loaded.network.skus().iter().enumerate() {
                let position = loaded.stock.position(node_at, sku_at);
                if position.on_hand > 0 {
                    positions.push(serde_json::json!({
                        "node": &*node.id, "sku": &*sku.id,
                        "on_hand": position.on_hand, "safety_stock": position.safety_stock,
                    }));
                }
            }
        }
        let reply = self.call(
            "PUT",
            "/v1/inventory",
            Some(key),
            &serde_json::json!({ "positions": positions }),
        );
        assert_eq!(reply.status, 200, "loading the inventory: {}", reply.text);
    }

    /// Kills the process at once (SIGKILL on Unix), as a crash would.
    pub fn kill(&self) {
        let mut child = self.child.lock().unwrap_or_else(|p| p.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The PostgreSQL server the tests use: `SWITCHYARD_TEST_POSTGRES`, or the one on this
/// machine's loopback.
pub fn postgres_base() -> String {
    std::env::var("SWITCHYARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own on the PostgreSQL server, dropped with the value.
pub struct PgSchema {
    /// A URL whose connections use the schema.
    pub url: String,
    name: String,
}

impl PgSchema {
    pub async fn new() -> PgSchema {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos());
        let name = format!(
            "switchyard_test_{}_{}_{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin_pool().await;
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&admin)
            .await
            .expect("the PostgreSQL server takes a new schema");
        admin.close().await;
        let url = format!("{}?options=-c%20search_path%3D{name}", postgres_base());
        PgSchema { url, name }
    }

    /// The same, for tests that do not run async.
    pub fn blocking() -> PgSchema {
        runtime().block_on(PgSchema::new())
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let name = self.name.clone();
        // A thread of its own: the value may be dropped inside an async test.
        let dropped = std::thread::spawn(move || {
            runtime().block_on(async {
                let admin = admin_pool().await;
                let _ = sqlx::query(&format!("DROP SCHEMA {name} CASCADE"))
                    .execute(&admin)
                    .await;
                admin.close().await;
            })
        });
        let _ = dropped.join();
    }
}

async fn admin_pool() -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_base())
        .await
        .expect("the PostgreSQL server on 127.0.0.1:5432 answers (see README: tests)")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}
