//! Listening within the process's file descriptors. Every connection, HJ 212
//! or HTTP, holds a descriptor, and so do the database files and sockets:
//! when connections take them all, SQLite cannot open its files, commits
//! fail and `/healthz` stops answering. So at start the soft limit is
//! raised to the hard one, and the connection limits are kept below it
//! with a reserve ([`Budget`]); beyond a limit a new connection is closed
//! at once (and counted), and an accept error backs off instead of
//! spinning.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::Metrics;

/// How the descriptors are shared out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The process's descriptor limit (soft, after raising it).
    pub nofile: u64,
    /// HJ 212 connections at most.
    pub hj212: usize,
    /// HTTP connections at most.
    pub http: usize,
}

/// Raises the soft descriptor limit to the hard one (logging both) and
/// shares it: `reserve` descriptors stay for the database, logs and the
/// listeners; HTTP gets `http_wanted` (or what is left), HJ 212 connections
/// the rest, at most `hj212_wanted`.
pub fn budget(hj212_wanted: usize, http_wanted: usize, reserve: usize) -> Budget {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap_or((1024, 1024));
    let nofile = match rlimit::increase_nofile_limit(hard) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, soft, hard, "cannot raise the descriptor limit");
            soft
        }
    };
    let b = share(nofile, hj212_wanted, http_wanted, reserve);
    tracing::info!(
        soft_before = soft,
        hard,
        nofile = b.nofile,
        hj212_max = b.hj212,
        http_max = b.http,
        reserve,
        "file descriptors"
    );
    if b.hj212 < hj212_wanted {
        tracing::info!(
            max_connections = hj212_wanted,
            allowed = b.hj212,
            "max_connections lowered to fit the descriptor limit (raise `ulimit -n` for more)"
        );
    }
    b
}

/// The arithmetic of [`budget`].
pub fn share(nofile: u64, hj212_wanted: usize, http_wanted: usize, reserve: usize) -> Budget {
    let avail = usize::try_from(nofile)
        .unwrap_or(usize::MAX)
        .saturating_sub(reserve);
    let http = http_wanted.min(avail / 4).max(1);
    let hj212 = hj212_wanted.min(avail.saturating_sub(http)).max(1);
    Budget {
        nofile,
        hj212,
        http,
    }
}

/// Accepts on `l`, backing off on errors (EMFILE and the like): 10 ms,
/// doubling to 1 s, until an accept succeeds.
pub async fn accept(l: &TcpListener, metrics: &Metrics) -> (TcpStream, std::net::SocketAddr) {
    let mut wait = Duration::from_millis(10);
    loop {
        match l.accept().await {
            Ok(c) => return c,
            Err(e) => {
                metrics.accept_errors.fetch_add(1, Relaxed);
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                ) {
                    tracing::warn!(error = %e, backoff_ms = wait.as_millis() as u64, "accept failed");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

/// The HTTP listener with a connection limit: beyond it a connection is
/// closed as soon as it is accepted.
pub struct LimitedListener {
    inner: TcpListener,
    limit: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    idle: Duration,
}

impl LimitedListener {
    pub fn new(inner: TcpListener, max: usize, metrics: Arc<Metrics>, idle: Duration) -> Self {
        LimitedListener {
            inner,
            limit: Arc::new(Semaphore::new(max.max(1))),
            metrics,
            idle: idle.max(Duration::from_secs(1)),
        }
    }

    async fn accept(&mut self) -> (Limited, std::net::SocketAddr) {
        loop {
            let (stream, addr) = accept(&self.inner, &self.metrics).await;
            match self.limit.clone().try_acquire_owned() {
                Ok(permit) => {
                    return (
                        Limited {
                            stream,
                            _permit: permit,
                            idle: self.idle,
                            deadline: Box::pin(tokio::time::sleep(self.idle)),
                        },
                        addr,
                    );
                }
                Err(_) => {
                    self.metrics.http_connections_refused.fetch_add(1, Relaxed);
                    drop(stream);
                }
            }
        }
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.inner.local_addr()
    }
}

/// An accepted HTTP connection holding its place under the limit, closed
/// (its reads fail with `TimedOut`) when no byte moved either way for its
/// idle time.
pub struct Limited {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl Limited {
    fn moved(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }
}

/// The peer of an HTTP connection, as handlers see it
/// (`ConnectInfo<PeerAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub std::net::SocketAddr);

/// Serves `app` on `listener` until `stop` turns true, then lets the open
/// connections finish for up to `grace`. HTTP/1 by hyper, with what
/// `axum::serve` leaves out: a timer, so that a connection that does not
/// send a request's whole header within `header_timeout` of being ready for
/// one (new, or kept alive after an answer) is closed — idle sockets and
/// trickled headers cannot hold the connection limit — and the idle limit
/// of [`Limited`] for bodies and readers that stall.
pub async fn serve_http(
    mut listener: LimitedListener,
    app: axum::Router,
    header_timeout: Duration,
    grace: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let (io, addr) = tokio::select! {
            c = listener.accept() => c,
            _ = stop.changed() => break,
        };
        // Finished connections are reaped as new ones come.
        while conns.try_join_next().is_some() {}
        let svc = app.clone().map_request(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(PeerAddr(addr)));
                req.map(axum::body::Body::new)
            },
        );
        let svc = hyper_util::service::TowerToHyperService::new(svc);
        let mut closing = closing_rx.clone();
        conns.spawn(async move {
            let mut b = hyper::server::conn::http1::Builder::new();
            b.timer(TokioTimer::new())
                .header_read_timeout(header_timeout.max(Duration::from_secs(1)));
            let conn = b.serve_connection(TokioIo::new(io), svc).with_upgrades();
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = closing.changed() => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    let _ = closing_tx.send(true);
    let _ = tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
}

impl tokio::io::AsyncRead for Limited {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::future::Future;
        use std::task::Poll;
        let before = buf.filled().len();
        match std::pin::Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::ErrorKind::TimedOut.into())),
                Poll::Pending => Poll::Pending,
            },
            other => other,
        }
    }
}

impl tokio::io::AsyncWrite for Limited {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        r
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.moved();
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_stay_below_the_descriptor_limit() {
        // This machine's default: 20,000 descriptors, 20,000 connections wanted.
        let b = share(20_000, 20_000, 1024, 256);
        assert_eq!((b.hj212, b.http), (20_000 - 256 - 1024, 1024));
        assert!(b.hj212 + b.http + 256 <= 20_000);
        // A small limit: HTTP gets at most a quarter of what is left.
        let b = share(300, 20_000, 1024, 256);
        assert_eq!((b.hj212, b.http), (33, 11));
        // Plenty: what was asked for.
        let b = share(1_048_576, 20_000, 1024, 256);
        assert_eq!((b.hj212, b.http), (20_000, 1024));
    }
}
