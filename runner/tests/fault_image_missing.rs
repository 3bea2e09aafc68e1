//! An image missing: `pywebbench run` talks to the real Docker engine through a
//! fault-injecting proxy on a Unix socket that answers 404 ("No such image") for one
//! stack's image and forwards everything else. The run refuses in one line naming the
//! image and the fix, exits 1, and leaves no container. (The real images are shared
//! with other tests, so the fault is injected in front of the engine, not by deleting.)

#![cfg(unix)]

mod common;

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{UnixListener, UnixStream};

use common::*;

const ENGINE: &str = "/var/run/docker.sock";
const MISSING: &str = "flask-sqlite3";

type Body = BoxBody<Bytes, hyper::Error>;

async fn forward(req: Request<Incoming>) -> Result<Response<Body>, hyper::Error> {
    let path = req.uri().path();
    if path.contains("/images/") && path.contains(MISSING) {
        let body = format!("{{\"message\":\"No such image: pywebbench/{MISSING}:latest\"}}");
        let resp = Response::builder()
            .status(StatusCode::NOT_FOUND)
            .header("Content-Type", "application/json")
            .body(
                Full::new(Bytes::from(body))
                    .map_err(|never| match never {})
                    .boxed(),
            )
            .expect("response");
        return Ok(resp);
    }
    let stream = UnixStream::connect(ENGINE)
        .await
        .expect("the Docker engine socket");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn.with_upgrades());
    let resp = sender.send_request(req).await?;
    Ok(resp.map(BodyExt::boxed))
}

/// Serve the proxy on `socket` in a thread of its own until the process ends.
fn start_proxy(socket: PathBuf) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = UnixListener::bind(&socket).expect("bind the proxy socket");
            ready_tx.send(()).expect("ready");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service_fn(forward))
                        .with_upgrades()
                        .await;
                });
            }
        });
    });
    ready_rx.recv().expect("the proxy starts");
}

#[test]
fn fault_image_missing_is_one_line_naming_the_image_and_the_fix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("docker.sock");
    start_proxy(socket.clone());
    let run = dir.path().join("noimage-run");
    let out = pywebbench()
        .args([
            "run",
            "--quick",
            "--quiet",
            "--stacks",
            &format!("fastapi-sqlite3,{MISSING}"),
            "--out",
        ])
        .arg(&run)
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("pywebbench runs");
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(
        errors[0].contains(&format!("image pywebbench/{MISSING}:latest is missing"))
            && errors[0].contains("build-images.sh"),
        "{text}"
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{text}"
    );
    assert_no_container_of("noimage-run");
    assert!(!run.join("samples").exists(), "nothing recorded as a run");
}
