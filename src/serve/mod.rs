//! `ktriage serve` and `ktriage shell`: bundles as a read-only Kubernetes API, so that
//! `kubectl get/describe/logs` work offline, one kubeconfig context per bundle.
//!
//! Bundles are read with the analyzer's readers (`formats::read_documents`: every resource file
//! kept whole, not only what analysis keeps), indexed once (`store`), and answered by `api`
//! over `http`. Nothing is ever written to a bundle; every write verb is refused.

pub(crate) mod api;
mod http;
mod select;
mod store;
mod table;

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use api::Simulate;

use crate::bundle::{BundleSource, Limits};
use crate::formats::LoadError;
use crate::logscan::Scanner;

/// Why serving could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ServeError {
    /// A bundle could not be read. Its message is in this one's: a `LoadError` already
    /// quotes its own sources, so chaining it would print them twice.
    #[error("cannot serve `{path}`: {error}")]
    Load { path: PathBuf, error: LoadError },
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the kubeconfig `{path}`")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the server stopped")]
    Server(#[source] std::io::Error),
    #[error("cannot start the shell `{shell}`")]
    Shell {
        shell: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Simulate(String),
}

/// Bundles read and bound to a socket, ready to serve.
#[derive(Debug)]
pub(crate) struct Server {
    api: Arc<api::Api>,
    listener: TcpListener,
    /// What kubectl connects to (loopback when listening on every address).
    url: String,
}

impl Server {
    /// Reads every bundle (one cluster each; the cluster names, made unique, are the context
    /// names) and listens on `address:port` (port 0: a free one).
    ///
    /// # Errors
    /// The first bundle that cannot be read, a bad `--simulate` condition, or the bind.
    pub(crate) fn start(
        bundles: &[PathBuf],
        address: IpAddr,
        port: u16,
        simulate: &[String],
    ) -> Result<Self, ServeError> {
        let mut sim = Simulate::default();
        for condition in simulate {
            sim.add(condition).map_err(ServeError::Simulate)?;
        }
        let scanner = Scanner::new(Vec::new());
        let mut clusters: Vec<(String, store::Store)> = Vec::new();
        for path in bundles {
            let loaded = crate::formats::read_documents(
                &BundleSource::new(path),
                &Limits::default(),
                &scanner,
            )
            .map_err(|error| ServeError::Load {
                path: path.clone(),
                error,
            })?;
            let store = store::Store::new(loaded.cluster);
            let base = context_name(&store.name);
            let mut name = base.clone();
            let mut n = 1;
            while clusters.iter().any(|(c, _)| *c == name) {
                n += 1;
                name = format!("{base}-{n}");
            }
            clusters.push((name, store));
        }
        let addr = SocketAddr::new(address, port);
        let listener =
            TcpListener::bind(addr).map_err(|source| ServeError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let host = match bound.ip() {
            ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
            ip if ip.is_unspecified() => "[::1]".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        Ok(Server {
            api: Arc::new(api::Api {
                clusters,
                simulate: sim,
            }),
            listener,
            url: format!("http://{host}:{}", bound.port()),
        })
    }

    /// The address kubectl connects to (`http://127.0.0.1:PORT`).
    #[must_use]
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The context names, in the order of the bundles.
    #[must_use]
    pub(crate) fn contexts(&self) -> Vec<&str> {
        self.api.clusters.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// A kubeconfig with one context per bundle, the first one current.
    #[must_use]
    pub(crate) fn kubeconfig(&self) -> String {
        let mut out = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for name in self.contexts() {
            let _ = write!(
                out,
                "- name: {name}\n  cluster:\n    server: {}/clusters/{name}\n",
                self.url
            );
        }
        out.push_str("contexts:\n");
        for name in self.contexts() {
            let _ = write!(
                out,
                "- name: {name}\n  context:\n    cluster: {name}\n    user: ktriage\n"
            );
        }
        let _ = write!(
            out,
            "current-context: {}\nusers:\n- name: ktriage\n  user: {{}}\npreferences: {{}}\n",
            self.contexts().first().copied().unwrap_or_default()
        );
        out
    }

    /// Writes the kubeconfig to `path`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub(crate) fn write_kubeconfig(&self, path: &Path) -> Result<(), ServeError> {
        std::fs::write(path, self.kubeconfig()).map_err(|source| ServeError::Kubeconfig {
            path: path.to_owned(),
            source,
        })
    }

    /// Serves until the process ends.
    ///
    /// # Errors
    /// When the runtime cannot start.
    pub(crate) fn run(self) -> Result<(), ServeError> {
        http::serve(self.listener, self.api).map_err(ServeError::Server)
    }

    /// Serves on a thread of its own, for as long as the process lives.
    pub(crate) fn spawn(self) {
        std::thread::spawn(move || {
            if let Err(e) = self.run() {
                eprintln!("ktriage: {e}");
            }
        });
    }
}

/// A kubeconfig context name (and URL path segment) from a cluster name: letters, digits,
/// `.`, `_` and `-`; anything else becomes `-`.
fn context_name(cluster: &str) -> String {
    let name: String = cluster
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let name = name.trim_matches('.').to_owned();
    if name.is_empty() {
        "bundle".to_owned()
    } else {
        name
    }
}

/// Runs `shell` with `KUBECONFIG=kubeconfig` and waits for it; returns its exit code.
///
/// # Errors
/// When the shell cannot be started.
pub(crate) fn run_shell(shell: &str, kubeconfig: &Path) -> Result<i32, ServeError> {
    let status = std::process::Command::new(shell)
        .env("KUBECONFIG", kubeconfig)
        .status()
        .map_err(|source| ServeError::Shell {
            shell: shell.to_owned(),
            source,
        })?;
    Ok(status.code().unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_names_are_path_safe() {
        assert_eq!(context_name("prod-eu-1"), "prod-eu-1");
        assert_eq!(
            context_name("arn:aws:eks:eu-central-1:1/prod"),
            "arn-aws-eks-eu-central-1-1-prod"
        );
        assert_eq!(context_name(".."), "bundle");
        assert_eq!(context_name(""), "bundle");
    }
}
