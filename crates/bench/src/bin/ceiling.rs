//! The ceiling server: the least any HTTP verifier on this machine can do. A bare hyper server on
//! the same runtime as `keyward serve` (tokio multi-thread, one worker per core), the same
//! connection handling (HTTP/1 and HTTP/2 auto-detected, `TCP_NODELAY`), answering every request
//! with a fixed 200 after reading its body. The load harness measures keyward against it.
//!
//! `ceiling --listen 127.0.0.1:0` prints `listening on http://ADDR` on stderr once bound.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpListener;

fn main() -> anyhow::Result<()> {
    let listen: SocketAddr = match std::env::args().skip_while(|a| a != "--listen").nth(1) {
        Some(text) => text.parse()?,
        None => "127.0.0.1:8081".parse()?,
    };
    // Exactly what `keyward serve` builds (see keyward::cli::main).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(listen))
}

async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(answer);
            let _ = Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A fixed 200, after reading the body as any real handler must.
async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = request.into_body().collect().await;
    Ok(Response::new(Full::new(Bytes::new())))
}
