//! Sockets inside a container's network namespace: load without `docker-proxy`.
//!
//! A published port sends every request through Docker's userland proxy, a third
//! process copying bytes on the same cores as the server and the generator. The
//! generator can instead create its sockets *inside* the container's network
//! namespace and connect to `127.0.0.1:8000` there: loopback traffic, no proxy, no
//! bridge address (issue 11).
//!
//! How: [`NetNs::open`] opens `/proc/<pid>/ns/net` of the container's init
//! process once. [`NetNs::socket`] then, on the calling thread, saves the thread's
//! own namespace (`/proc/thread-self/ns/net`), `setns(target, CLONE_NEWNET)`,
//! creates the socket (socket2), and `setns` back. A socket keeps the namespace it
//! was created in for its whole life, so connecting it later from any thread
//! reaches the container's loopback. `setns` into a network namespace is per
//! thread (allowed in a multi-threaded process) and needs `CAP_SYS_ADMIN` (root):
//! without it [`NetNs::open`] fails with a message naming the fix. Should the
//! switch back ever fail, the thread would be left in the container's
//! namespace: that is a bug nothing can repair, so it aborts the process.
//!
//! k6 is a separate binary: it is started as `nsenter --net=/proc/<pid>/ns/net --
//! k6 ...` ([`NetNs::nsenter_args`]); only its network namespace changes.
//!
//! Linux only: elsewhere [`NetNs::open`] returns [`NetNsError::Unsupported`].

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[loadgen] path`: how the generator reaches the server (issue 11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum PathChoice {
    /// `netns` when it can be used (Linux, a local engine, setns allowed), else
    /// `published-port`.
    #[default]
    Auto,
    /// From inside the container's network namespace to its 127.0.0.1:8000: no
    /// port published, no `docker-proxy`.
    Netns,
    /// Through the port Docker publishes on the host (and its `docker-proxy`):
    /// the only path to a remote engine or Docker Desktop, and the paper's.
    PublishedPort,
}

/// The address the stacks listen on inside their container's namespace.
pub const INSIDE_HOST: &str = "127.0.0.1";

#[derive(Debug, thiserror::Error)]
pub enum NetNsError {
    #[cfg(not(target_os = "linux"))]
    #[error(
        "the network-namespace path needs Linux (this is {0}); use the published-port path (`--path published-port`)"
    )]
    Unsupported(&'static str),
    #[cfg(target_os = "linux")]
    #[error(
        "cannot open {path}: {source} (is the container running? its process {pid} is gone); start the container first or use `--path published-port`"
    )]
    Open {
        pid: u32,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[cfg(target_os = "linux")]
    #[error(
        "cannot enter the network namespace of process {pid}: {source}; run pywebbench as root (setns needs CAP_SYS_ADMIN) or use `--path published-port`"
    )]
    Enter {
        pid: u32,
        #[source]
        source: std::io::Error,
    },
}

/// An open handle on one process's network namespace.
pub struct NetNs {
    pid: u32,
    #[cfg(target_os = "linux")]
    file: std::fs::File,
}

impl fmt::Debug for NetNs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NetNs(pid {})", self.pid)
    }
}

impl NetNs {
    /// The process whose namespace this is.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// `/proc/<pid>/ns/net`.
    pub fn path(&self) -> PathBuf {
        ns_path(self.pid)
    }

    /// The arguments that make `nsenter` run a command in this namespace:
    /// `nsenter --net=/proc/<pid>/ns/net -- <command...>`.
    pub fn nsenter_args(&self) -> Vec<String> {
        vec![format!("--net={}", self.path().display()), "--".into()]
    }
}

fn ns_path(pid: u32) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/ns/net"))
}

#[cfg(target_os = "linux")]
mod imp {
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;

    use socket2::{Domain, Protocol, Socket, Type};

    use super::{NetNs, NetNsError, ns_path};

    fn setns(file: &File) -> io::Result<()> {
        // SAFETY: setns only reads the fd, which `file` keeps open for the call.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        if rc == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Run `f` with the calling thread in `target`'s network namespace.
    fn inside<T>(target: &File, f: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let home = File::open("/proc/thread-self/ns/net")?;
        setns(target)?;
        let out = f();
        if let Err(e) = setns(&home) {
            // The thread would stay in the container's namespace: every later
            // socket of this thread would be wrong. Not recoverable.
            eprintln!(
                "error: cannot return to the host's network namespace ({e}); aborting rather than sending traffic from the wrong namespace"
            );
            std::process::abort();
        }
        out
    }

    impl NetNs {
        /// Open `/proc/<pid>/ns/net` and check that this process may enter it.
        pub fn open(pid: u32) -> Result<NetNs, NetNsError> {
            let path = ns_path(pid);
            let file = File::open(&path).map_err(|source| NetNsError::Open {
                pid,
                path: path.clone(),
                source,
            })?;
            let ns = NetNs { pid, file };
            // The probe: enter and leave once, so a missing privilege is said now,
            // not as a connect error of every VU.
            inside(&ns.file, || Ok(())).map_err(|source| NetNsError::Enter { pid, source })?;
            Ok(ns)
        }

        /// A non-blocking TCP socket (IPv4 or IPv6 as `v6` says) created inside
        /// the namespace; connect it with `tokio::net::TcpSocket::from_std_stream`.
        pub fn tcp_socket(&self, v6: bool) -> io::Result<std::net::TcpStream> {
            let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
            let socket = inside(&self.file, || {
                Socket::new(domain, Type::STREAM.cloexec(), Some(Protocol::TCP))
            })?;
            socket.set_nonblocking(true)?;
            Ok(socket.into())
        }
    }

    /// Whether this process may enter network namespaces at all (root /
    /// CAP_SYS_ADMIN): enters its own namespace and leaves it.
    pub fn can_setns() -> Result<(), io::Error> {
        let own = File::open("/proc/thread-self/ns/net")?;
        inside(&own, || Ok(()))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    use super::{NetNs, NetNsError};

    impl NetNs {
        pub fn open(_pid: u32) -> Result<NetNs, NetNsError> {
            Err(NetNsError::Unsupported(std::env::consts::OS))
        }

        pub fn tcp_socket(&self, _v6: bool) -> io::Result<std::net::TcpStream> {
            Err(io::Error::other(NetNsError::Unsupported(
                std::env::consts::OS,
            )))
        }
    }

    pub fn can_setns() -> Result<(), io::Error> {
        Err(io::Error::other(NetNsError::Unsupported(
            std::env::consts::OS,
        )))
    }
}

pub use imp::can_setns;

/// The path a run's load takes (the `used` of the manifest's `path`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathUsed {
    Netns,
    PublishedPort,
}

impl PathUsed {
    pub fn as_str(self) -> &'static str {
        match self {
            PathUsed::Netns => "netns",
            PathUsed::PublishedPort => "published-port",
        }
    }

    /// The path a manifest records (`LoadPath::used`); a run made before paths were
    /// recorded, or any other value, used the published port.
    pub fn recorded(path: Option<&analysis::schema::LoadPath>) -> PathUsed {
        match path.map(|p| p.used.as_str()) {
            Some("netns") => PathUsed::Netns,
            _ => PathUsed::PublishedPort,
        }
    }

    /// The choice that asks for exactly this path.
    pub fn as_choice(self) -> PathChoice {
        match self {
            PathUsed::Netns => PathChoice::Netns,
            PathUsed::PublishedPort => PathChoice::PublishedPort,
        }
    }
}

/// What decides the path: the choice and where the engine is.
#[derive(Clone, Debug)]
pub struct PathFacts {
    /// `auto`, `netns` or `published-port`, and who said so (`--path`, `the campaign`, ...).
    pub choice: PathChoice,
    pub chosen_by: String,
    /// The engine as the client reaches it (`DOCKER_HOST` or the default socket).
    pub engine_address: String,
    /// `DOCKER_HOST` unset or a `unix://` socket.
    pub engine_local: bool,
    /// `docker info`'s OperatingSystem (`Docker Desktop` runs the engine in a VM).
    pub engine_os: String,
}

/// Why the netns path cannot be used here, if it cannot: (why, fix).
fn netns_impossible(f: &PathFacts) -> Option<(String, &'static str)> {
    if !cfg!(target_os = "linux") {
        return Some((
            format!(
                "this is {}, and network namespaces are Linux's",
                std::env::consts::OS
            ),
            "use the published port (path = \"published-port\")",
        ));
    }
    if !f.engine_local {
        return Some((
            format!(
                "the engine is remote (DOCKER_HOST={}): its containers' network namespaces are not on this machine",
                f.engine_address
            ),
            "use the published port, or unset DOCKER_HOST to use the local engine",
        ));
    }
    if f.engine_os.contains("Docker Desktop") {
        return Some((
            "the engine is Docker Desktop: its containers run in a VM, not in this machine's namespaces".into(),
            "use the published port (the paper's setup)",
        ));
    }
    if let Err(e) = can_setns() {
        return Some((
            format!("this process may not enter network namespaces (setns: {e})"),
            "run pywebbench as root (setns needs CAP_SYS_ADMIN), or use the published port",
        ));
    }
    None
}

/// The path to use and why (one line for the manifest), or a one-line error when
/// `netns` is forced where it cannot work.
pub fn decide(f: &PathFacts) -> Result<(PathUsed, String), String> {
    match f.choice {
        PathChoice::PublishedPort => Ok((
            PathUsed::PublishedPort,
            format!("published-port chosen by {}", f.chosen_by),
        )),
        PathChoice::Netns => match netns_impossible(f) {
            None => Ok((PathUsed::Netns, format!("netns chosen by {}", f.chosen_by))),
            Some((why, fix)) => Err(format!(
                "the netns load path (chosen by {}) cannot be used: {why}; {fix} (--path published-port)",
                f.chosen_by
            )),
        },
        PathChoice::Auto => match netns_impossible(f) {
            None => Ok((
                PathUsed::Netns,
                format!(
                    "auto: Linux, a local engine ({}), setns permitted",
                    f.engine_address
                ),
            )),
            Some((why, _)) => Ok((PathUsed::PublishedPort, format!("auto: {why}"))),
        },
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn facts(choice: PathChoice, local: bool, os: &str) -> PathFacts {
        PathFacts {
            choice,
            chosen_by: "--path".into(),
            engine_address: if local {
                "unix:///var/run/docker.sock".into()
            } else {
                "tcp://127.0.0.1:2375".into()
            },
            engine_local: local,
            engine_os: os.into(),
        }
    }

    #[test]
    fn a_remote_engine_gets_the_published_port() {
        let (used, why) = decide(&facts(PathChoice::Auto, false, "Debian")).unwrap();
        assert_eq!(used, PathUsed::PublishedPort);
        assert!(
            why.contains("remote") && why.contains("tcp://127.0.0.1:2375"),
            "{why}"
        );
        let (used, why) = decide(&facts(PathChoice::Auto, true, "Docker Desktop")).unwrap();
        assert_eq!(used, PathUsed::PublishedPort);
        assert!(why.contains("Docker Desktop"), "{why}");
        let e = decide(&facts(PathChoice::Netns, false, "Debian")).unwrap_err();
        assert!(
            e.contains("remote") && e.contains("--path published-port"),
            "{e}"
        );
        assert!(!e.contains('\n'), "{e}");
        let (used, why) = decide(&facts(PathChoice::PublishedPort, true, "Debian")).unwrap();
        assert_eq!(
            (used, why.as_str()),
            (PathUsed::PublishedPort, "published-port chosen by --path")
        );
    }

    #[test]
    fn a_local_engine_gets_netns_when_setns_is_allowed() {
        let got = decide(&facts(PathChoice::Auto, true, "Debian")).unwrap();
        match can_setns() {
            Ok(()) => assert_eq!(got.0, PathUsed::Netns, "{}", got.1),
            Err(_) => {
                assert_eq!(got.0, PathUsed::PublishedPort);
                assert!(
                    got.1.contains("CAP_SYS_ADMIN") || got.1.contains("setns"),
                    "{}",
                    got.1
                );
            }
        }
    }

    #[test]
    fn a_missing_process_is_named() {
        // PIDs are below 2^22 on Linux: this one cannot exist.
        let e = NetNs::open(u32::MAX).unwrap_err().to_string();
        assert!(e.contains("4294967295"), "{e}");
        assert!(e.contains("--path published-port"), "{e}");
    }

    #[test]
    fn own_namespace_sockets_connect_to_a_local_listener() {
        if can_setns().is_err() {
            eprintln!("skipped: this process may not call setns (not root)");
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let ns = NetNs::open(std::process::id()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let std = ns.tcp_socket(false).unwrap();
            let socket = tokio::net::TcpSocket::from_std_stream(std);
            let stream = socket.connect(addr).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addr);
        });
        // The thread is back in its own namespace: a plain socket still works.
        std::net::TcpStream::connect(addr).unwrap();
    }
}
