//! One VU's HTTP/1.1 client: a hyper `client::conn::http1` connection over a
//! `TcpStream`, no pool, driven inside the VU's own task, with a socket wrapper
//! ([`Metered`]) that counts bytes and timestamps the request's last written byte
//! and the response's first read byte.
//!
//! Following oha (hatoo/oha `src/client.rs`): the connection is opened with
//! [`tcp_connect`] (a `TcpStream` connected from the host's or, for the netns
//! path, from the container's network namespace) + `set_nodelay(true)` + hyper's handshake, its set-up time
//! is kept apart from the request's duration, the timeout covers the whole request,
//! and a connection that failed is dropped and reopened on the next request.
//! Unlike oha, the connection future is not spawned as a task: the VU polls it
//! together with the request (see [`drive`]), which saves two task wake-ups per request.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::{ErrorKind, RequestSpec};
use crate::netns::NetNs;

const NONE: i64 = i64::MIN;

fn ns_since(t0: Instant, t: Instant) -> i64 {
    t.saturating_duration_since(t0).as_nanos() as i64
}

/// Counters of one connection, shared by the socket wrapper (inside hyper's
/// connection) and the VU. Both live in the same task, so relaxed loads and
/// stores (no read-modify-write) are enough.
#[derive(Debug)]
pub struct Meter {
    t0: Instant,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// ns since t0 of the last successful write.
    last_write_ns: AtomicI64,
    /// ns since t0 of the first successful read since the VU armed it, or NONE.
    first_read_ns: AtomicI64,
}

impl Meter {
    fn new(t0: Instant) -> Self {
        Meter {
            t0,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            last_write_ns: AtomicI64::new(NONE),
            first_read_ns: AtomicI64::new(NONE),
        }
    }

    fn wrote(&self, n: usize) {
        if n > 0 {
            self.bytes_out
                .store(self.bytes_out.load(Relaxed) + n as u64, Relaxed);
            self.last_write_ns
                .store(ns_since(self.t0, Instant::now()), Relaxed);
        }
    }

    fn read(&self, n: usize) {
        if n > 0 {
            self.bytes_in
                .store(self.bytes_in.load(Relaxed) + n as u64, Relaxed);
            if self.first_read_ns.load(Relaxed) == NONE {
                self.first_read_ns
                    .store(ns_since(self.t0, Instant::now()), Relaxed);
            }
        }
    }
}

/// A `TcpStream` that reports to a [`Meter`].
#[derive(Debug)]
pub struct Metered {
    stream: TcpStream,
    meter: Arc<Meter>,
}

impl AsyncRead for Metered {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            self.meter.read(buf.filled().len() - before);
        }
        polled
    }
}

impl AsyncWrite for Metered {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.meter.wrote(n);
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = polled {
            self.meter.wrote(n);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

type Body = Full<Bytes>;
type Conn = Connection<TokioIo<Metered>, Body>;

struct Http1 {
    sender: SendRequest<Body>,
    conn: Pin<Box<Conn>>,
    meter: Arc<Meter>,
    /// The connection future completed (closed by either side): reconnect.
    done: bool,
}

impl Http1 {
    /// Still usable for a new request? Polls the idle connection once (with a
    /// no-op waker) so a close by the server is noticed before sending, not as
    /// a failed request.
    fn alive(&mut self) -> bool {
        if self.done || self.sender.is_closed() {
            return false;
        }
        let mut cx = Context::from_waker(Waker::noop());
        self.done = self.conn.as_mut().poll(&mut cx).is_ready();
        !self.done
    }
}

/// A request built once: method, path, headers and body.
#[derive(Clone, Debug)]
pub struct Prepared {
    method: Method,
    uri: Uri,
    body: Bytes,
    json: bool,
}

static USER_AGENT_VALUE: HeaderValue =
    HeaderValue::from_static(concat!("pywebbench/", env!("CARGO_PKG_VERSION")));

impl Prepared {
    pub fn new(spec: &RequestSpec) -> Result<Self, String> {
        if !spec.path.starts_with('/') {
            return Err(format!("request path {:?} must start with /", spec.path));
        }
        let uri = Uri::try_from(spec.path.as_str())
            .map_err(|e| format!("bad request path {:?}: {e}", spec.path))?;
        Ok(Prepared {
            method: spec.method.clone(),
            uri,
            body: spec.body.clone().unwrap_or_default(),
            json: spec.body.is_some(),
        })
    }

    fn to_request(&self, host: &HeaderValue) -> Request<Body> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        let headers = req.headers_mut();
        headers.reserve(3);
        headers.insert(HOST, host.clone());
        headers.insert(USER_AGENT, USER_AGENT_VALUE.clone());
        if self.json {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        req
    }
}

/// What one request gave.
#[derive(Clone, Copy, Debug)]
pub struct Exchange {
    pub status: u16,
    pub end: Instant,
    pub latency_ns: i64,
    pub ttfb_ns: i64,
    pub connect_ns: i64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub error: Option<ErrorKind>,
}

impl Exchange {
    /// A request that got no response, ended at `end`.
    pub fn failed(end: Instant, error: ErrorKind) -> Self {
        Exchange {
            status: 0,
            end,
            latency_ns: 0,
            ttfb_ns: 0,
            connect_ns: 0,
            bytes_in: 0,
            bytes_out: 0,
            error: Some(error),
        }
    }
}

/// A connection idle for less than this is reused without looking for a close
/// by the server first (a back-to-back VU never waits that long).
const IDLE_CHECK: Duration = Duration::from_millis(1);

/// Where a connection goes: an address, reached from the host's network
/// namespace or, with `netns`, from inside that namespace.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub addr: SocketAddr,
    pub netns: Option<Arc<NetNs>>,
}

/// Open a TCP connection to `endpoint` (`TCP_NODELAY` set): the one place the
/// generator and the health check make their sockets. With a namespace, the
/// socket is created inside it ([`NetNs::tcp_socket`]) and then connected.
pub async fn tcp_connect(endpoint: &Endpoint) -> io::Result<TcpStream> {
    let stream = match &endpoint.netns {
        None => TcpStream::connect(endpoint.addr).await?,
        Some(ns) => {
            let socket = ns.tcp_socket(endpoint.addr.is_ipv6())?;
            tokio::net::TcpSocket::from_std_stream(socket)
                .connect(endpoint.addr)
                .await?
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One VU's client: at most one open connection.
pub struct Client {
    addr: Endpoint,
    host: HeaderValue,
    t0: Instant,
    http: Option<Http1>,
    /// When the last request ended.
    last_end: Instant,
    /// The request timeout, armed lazily: it may fire early (then it is re-armed
    /// to the true deadline), never late. Saves a timer-wheel insert and removal
    /// per request; see [`race`].
    timer: Pin<Box<Sleep>>,
}

impl Client {
    /// Must be called inside a tokio runtime (the VU's).
    pub fn new(addr: Endpoint, host: HeaderValue, t0: Instant) -> Self {
        Client {
            addr,
            host,
            t0,
            http: None,
            last_end: t0,
            timer: Box::pin(tokio::time::sleep(Duration::from_secs(86_400))),
        }
    }

    /// The `Host` header value for a target.
    pub fn host_header(host: &str, port: u16) -> HeaderValue {
        let text = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("localhost"))
    }

    /// Make one request that began (iteration start, before any connect) at
    /// `start` and must be over by `deadline`.
    pub async fn request(
        &mut self,
        prepared: &Prepared,
        start: Instant,
        deadline: Instant,
    ) -> Exchange {
        let mut ex = Exchange::failed(start, ErrorKind::Io);
        ex.error = None;
        let deadline = tokio::time::Instant::from_std(deadline);
        if self.timer.deadline() > deadline {
            self.timer.as_mut().reset(deadline);
        }
        let mut send_start = start;
        let reusable = match self.http.as_mut() {
            None => false,
            Some(h) if h.done => false,
            Some(h) if start.saturating_duration_since(self.last_end) < IDLE_CHECK => {
                !h.sender.is_closed()
            }
            Some(h) => h.alive(),
        };
        if !reusable {
            self.http = None;
            match race(self.timer.as_mut(), deadline, connect(&self.addr, self.t0)).await {
                Some(Ok(http)) => {
                    self.http = Some(http);
                    send_start = Instant::now();
                    ex.connect_ns = (send_start - start).as_nanos() as i64;
                }
                Some(Err(_)) | None => {
                    // A refused, reset or timed-out connect: k6 error codes 1210-1213
                    // (`tcpDial*`); the timeout case is also a connect failure.
                    ex.end = Instant::now();
                    ex.connect_ns = (ex.end - start).as_nanos() as i64;
                    ex.error = Some(ErrorKind::Connect);
                    self.last_end = ex.end;
                    return ex;
                }
            }
        }
        let Some(http) = self.http.as_mut() else {
            unreachable!("connected above")
        };
        let meter = &*http.meter;
        let in0 = meter.bytes_in.load(Relaxed);
        let out0 = meter.bytes_out.load(Relaxed);
        meter.first_read_ns.store(NONE, Relaxed);
        let req = prepared.to_request(&self.host);
        let sender = &mut http.sender;
        let exchange = async {
            let resp = sender.send_request(req).await?;
            let status = resp.status().as_u16();
            let mut body = resp.into_body();
            while let Some(frame) = body.frame().await {
                frame?;
            }
            Ok::<u16, hyper::Error>(status)
        };
        let outcome = race(
            self.timer.as_mut(),
            deadline,
            drive(http.conn.as_mut(), &mut http.done, exchange),
        )
        .await;
        ex.end = Instant::now();
        self.last_end = ex.end;
        ex.latency_ns = (ex.end - send_start).as_nanos() as i64;
        ex.bytes_in = meter.bytes_in.load(Relaxed) - in0;
        ex.bytes_out = meter.bytes_out.load(Relaxed) - out0;
        let first_read = meter.first_read_ns.load(Relaxed);
        if first_read != NONE {
            ex.ttfb_ns = (first_read - meter.last_write_ns.load(Relaxed)).max(0);
        }
        match outcome {
            Some(Ok(Ok(status))) => {
                ex.status = status;
                if status >= 400 {
                    ex.error = Some(ErrorKind::HttpStatus);
                }
            }
            Some(Ok(Err(e))) => {
                ex.error = Some(classify(&e));
                self.http = None;
            }
            Some(Err(conn_end)) => {
                ex.error = Some(conn_end.map_or(ErrorKind::Io, |e| classify(&e)));
                self.http = None;
            }
            None => {
                ex.error = Some(ErrorKind::Timeout);
                self.http = None;
            }
        }
        ex
    }
}

async fn connect(addr: &Endpoint, t0: Instant) -> io::Result<Http1> {
    let stream = tcp_connect(addr).await?;
    let meter = Arc::new(Meter::new(t0));
    let io = TokioIo::new(Metered {
        stream,
        meter: meter.clone(),
    });
    let (sender, conn) = http1::Builder::new()
        .handshake(io)
        .await
        .map_err(io::Error::other)?;
    Ok(Http1 {
        sender,
        conn: Box::pin(conn),
        meter,
        done: false,
    })
}

/// Poll `fut` and the connection that serves it in the same task. Sets `done`
/// when the connection future completes (e.g. after a `Connection: close`
/// response); returns `Err(conn result)` when it ended before `fut` completed.
async fn drive<F: Future>(
    mut conn: Pin<&mut Conn>,
    done: &mut bool,
    fut: F,
) -> Result<F::Output, Option<hyper::Error>> {
    let mut fut = pin!(fut);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        if *done {
            return Poll::Ready(Err(None));
        }
        let ended = conn.as_mut().poll(cx);
        *done = ended.is_ready();
        // The connection made progress (wrote the request, read the response):
        // the request future may be complete now; look before sleeping.
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match ended {
            Poll::Ready(res) => Poll::Ready(Err(res.err())),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// `fut`, or `None` once `deadline` has passed. `timer` is at or before
/// `deadline`; when it fires early it is re-armed to `deadline`, so a VU's timer
/// is touched once per timeout period rather than once per request.
async fn race<F: Future>(
    mut timer: Pin<&mut Sleep>,
    deadline: tokio::time::Instant,
    fut: F,
) -> Option<F::Output> {
    let mut fut = pin!(fut);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = fut.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        while timer.as_mut().poll(cx).is_ready() {
            if tokio::time::Instant::now() >= deadline {
                return Poll::Ready(None);
            }
            timer.as_mut().reset(deadline);
        }
        Poll::Pending
    })
    .await
}

/// hyper's error → the schema's error kind (k6: 1000 generic, 1220 reset by
/// peer, ... all "no valid response").
fn classify(e: &hyper::Error) -> ErrorKind {
    if e.is_timeout() {
        ErrorKind::Timeout
    } else if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() || e.is_user() {
        ErrorKind::Protocol
    } else {
        ErrorKind::Io
    }
}

/// A deadline that never passes before `start + timeout` and never after `cap`.
pub fn deadline(start: Instant, timeout: Duration, cap: Instant) -> Instant {
    (start + timeout).min(cap)
}
