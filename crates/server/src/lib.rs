//! # lantian-server
//!
//! `lantian serve`: the network edge. Devices connect over TCP and push HJ 212
//! frames; each connection ([`ingest`]) judges its frames and hands them to
//! the [`writer`], which commits many at once (group commit); replies go out
//! only after the commit. [`http`] serves health and metrics.
//!
//! ```text
//! TCP ─▶ connection task ─(bounded queue)─▶ writer ─▶ Store (SQLite | PostgreSQL)
//!            ▲   Framer, Packet, registry          │ commit
//!            └──────── replies after commit ◀──────┘
//! ```

pub mod auth;
pub mod boundary;
pub mod compliance;
pub mod config;
pub mod feed;
pub mod figures;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod keys;
pub mod listen;
pub mod metrics;
pub mod policy;
pub mod registry;
pub mod writer;

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use lantian_store::Store;
use tokio::net::TcpListener;
use tokio::sync::{Mutex, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tracing::Instrument;

pub use config::Config;
use ingest::{Registry, Shared};
use metrics::Metrics;

/// A running server: its bound addresses, and how to stop it.
pub struct Running {
    pub hj212_addr: SocketAddr,
    pub http_addr: SocketAddr,
    pub metrics: Arc<Metrics>,
    /// The dashboard's figures (empty until the first are computed).
    pub figures: figures::Shared,
    /// The commit feed (subscribe to learn what each batch stored).
    pub feed: feed::Sender,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Stops accepting, lets connections finish and acknowledge what they
    /// received, drains the writer, and returns.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task")?
    }

    /// Waits until the server stops by itself (it does not, but for `serve`).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("server task")?
    }

    pub fn stopper(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

async fn load_registry(store: &Store, registry: &Registry) -> anyhow::Result<usize> {
    let devices = store.devices_bulk().await?;
    let n = devices.len();
    let view = ingest::RegistryView {
        devices: devices
            .into_iter()
            .map(|d| (d.spec.mn.to_string(), d))
            .collect(),
        approved: store
            .pending_loggers_bulk()
            .await?
            .into_iter()
            .filter_map(|l| Some((l.logger_id, l.approved_mn?)))
            .collect(),
    };
    match registry.write() {
        Ok(mut r) => *r = view,
        Err(p) => *p.into_inner() = view,
    }
    Ok(n)
}

/// A QN for a command the platform starts: now, Beijing time, with milliseconds.
pub fn qn_now() -> String {
    qn_at(chrono::Utc::now().timestamp_millis())
}

/// The QN of a Unix-ms instant: Beijing time, with milliseconds.
pub fn qn_at(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| {
            (t + chrono::Duration::hours(8))
                .format("%Y%m%d%H%M%S%3f")
                .to_string()
        })
        .unwrap_or_default()
}

/// Opens the database, binds both listeners and starts serving.
pub async fn start(cfg: Config) -> anyhow::Result<Running> {
    let store = Store::connect(&cfg.database)
        .await
        .with_context(|| format!("cannot open database {}", cfg.database))?;
    let registry: Registry = Arc::new(RwLock::new(ingest::RegistryView::default()));
    let n = load_registry(&store, &registry).await?;
    let hj = TcpListener::bind(&cfg.hj212)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.hj212))?;
    let web = TcpListener::bind(&cfg.http)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.http))?;
    let hj212_addr = hj.local_addr()?;
    let http_addr = web.local_addr()?;
    tracing::info!(%hj212_addr, %http_addr, devices = n, database = %cfg.database, node = %cfg.node, "lantian serve started");
    let fds = listen::budget(
        cfg.max_connections,
        cfg.http_max_connections,
        cfg.fd_reserve,
    );

    let metrics = Arc::new(Metrics::default());
    let feed = feed::channel();
    // Subscribed before the writers start, so no batch is missed.
    let figures_feed = feed.subscribe();
    for t in &cfg.forward {
        t.check()?;
    }
    let forward_feeds: Vec<_> = cfg.forward.iter().map(|_| feed.subscribe()).collect();
    let sources_feed = feed.subscribe();
    let supervisor = jobs::sources::Supervisor::new(cfg.supervisor()?);
    let sources_live = supervisor.live.clone();
    let (wtx, wrx) = mpsc::channel(cfg.queue_depth.max(1));
    let wrx = Arc::new(Mutex::new(wrx));
    let mut writers = JoinSet::new();
    for _ in 0..cfg.writers.max(1) {
        writers.spawn(writer::run(
            store.clone(),
            wrx.clone(),
            metrics.clone(),
            feed.clone(),
            cfg.node.clone(),
            cfg.batch_max_frames,
        ));
    }
    let master = if cfg.master_key.is_empty() {
        None
    } else {
        Some(keys::parse_key(&cfg.master_key).map_err(|e| anyhow::anyhow!("master_key: {e}"))?)
    };
    let shared = Arc::new(Shared {
        master,
        cfg: cfg.clone(),
        registry: registry.clone(),
        metrics: metrics.clone(),
        writer: wtx,
    });
    let (stop_tx, stop_rx) = watch::channel(false);

    // HTTP
    let mut http_state = http::HttpState::new(store.clone(), metrics.clone());
    http_state.label = Some(cfg.label.clone()).filter(|l| !l.is_empty());
    http_state.max_period_years = cfg.max_period_years.max(1);
    http_state.password_checks = Arc::new(Semaphore::new(cfg.login_concurrency.max(1)));
    http_state.trusted =
        Arc::new(auth::TrustedProxies::parse(&cfg.trusted_proxies).map_err(anyhow::Error::msg)?);
    http_state.sources_live = sources_live;
    http_state.master = master;
    let ticket_rules = Arc::new(cfg.ticket_rules()?);
    http_state.ticket_rules = ticket_rules.clone();
    http_state.reports_per_hour = cfg.public_reports_per_hour.max(1);
    let ledger = Arc::new(cfg.ledger_settings()?);
    http_state.ledger = ledger.clone();
    let report_settings = Arc::new(cfg.report_settings()?);
    http_state.reports = report_settings.clone();
    let (approvers, bound) = cfg.alert_settings()?;
    http_state.approvers = Arc::new(approvers);
    http_state.forecast_bound = bound;
    http_state.compliance = cfg.compliance_settings()?;
    http_state.feed = Some(feed.clone());
    http_state.node = cfg.node.clone();
    http_state.push_max_bytes = cfg.push_max_bytes.max(1024);
    http_state.push_max_rows = cfg.push_max_rows.max(1);
    let snapshot = http_state.snapshot.clone();
    let figures = snapshot.clone();
    let app = http::router(http_state);
    let http_stop = stop_rx.clone();
    let web = listen::LimitedListener::new(
        web,
        fds.http,
        metrics.clone(),
        Duration::from_secs(cfg.http_idle_timeout_s.max(1)),
    );
    let header_timeout = Duration::from_secs(cfg.http_header_timeout_s.max(1));
    let http_grace = Duration::from_secs(cfg.shutdown_grace_s);
    let http_task = tokio::spawn(listen::serve_http(
        web,
        app,
        header_timeout,
        http_grace,
        http_stop,
    ));

    // Registry refresh
    let mut reg_stop = stop_rx.clone();
    let reg_store = store.clone();
    let refresh = Duration::from_secs(cfg.registry_refresh_s.max(1));
    let reg_task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(refresh) => {
                    if let Err(e) = load_registry(&reg_store, &registry).await {
                        tracing::warn!(error = %e, "registry reload failed");
                    }
                }
                _ = reg_stop.changed() => break,
            }
        }
    });

    let sweep_task = tokio::spawn(jobs::retention::run(
        store.clone(),
        cfg.clone(),
        stop_rx.clone(),
    ));

    // The dashboard's figures, following the commit feed.
    let an_task = tokio::spawn(jobs::figures::run(
        store.clone(),
        figures_feed,
        snapshot,
        cfg.targets()?,
        cfg.review(),
        Duration::from_secs(cfg.analysis_every_s.max(1)),
        stop_rx.clone(),
    ));

    // Source supervision, following the commit feed.
    let src_task = tokio::spawn(jobs::sources::run(
        store.clone(),
        sources_feed,
        supervisor,
        Duration::from_secs(cfg.sources_every_s.max(1)),
        stop_rx.clone(),
    ));

    // The tickets' escalation ladder.
    let tickets_task = tokio::spawn(jobs::tickets::run(
        store.clone(),
        ticket_rules.clone(),
        Duration::from_secs(cfg.tickets_every_s.max(1)),
        stop_rx.clone(),
    ));

    // The ledger's overdue tasks, escalated to tickets.
    let ledger_task = (cfg.ledger_every_s > 0).then(|| {
        tokio::spawn(jobs::ledger::run(
            store.clone(),
            ledger,
            ticket_rules.clone(),
            Duration::from_secs(cfg.ledger_every_s),
            stop_rx.clone(),
        ))
    });

    // Firms' violations during an alert, opened as tickets.
    let alerts_task = (cfg.alerts_every_s > 0).then(|| {
        tokio::spawn(jobs::alerts::run(
            store.clone(),
            cfg.compliance_settings().unwrap_or_default(),
            ticket_rules.clone(),
            Duration::from_secs(cfg.alerts_every_s),
            stop_rx.clone(),
        ))
    });

    // Reports: the daily brief and the monthly report, on time.
    let reports_task = (cfg.reports_every_s > 0).then(|| {
        tokio::spawn(jobs::reports::run(
            store.clone(),
            report_settings.clone(),
            Duration::from_secs(cfg.reports_every_s),
            stop_rx.clone(),
        ))
    });

    let hooks_task = tokio::spawn(jobs::tickets::run_webhooks(
        store.clone(),
        master,
        Duration::from_secs(cfg.webhooks_every_s.max(1)),
        stop_rx.clone(),
    ));

    // Forwarding up, one task per [[forward]] target.
    if let Ok(mut g) = metrics.forward.lock() {
        *g = vec![jobs::forward::Status::default(); cfg.forward.len()];
    }
    let mut forward_tasks = JoinSet::new();
    for (i, (t, rx)) in cfg.forward.iter().zip(forward_feeds).enumerate() {
        forward_tasks.spawn(jobs::forward::run(
            store.clone(),
            t.clone(),
            i,
            metrics.forward.clone(),
            rx,
            stop_rx.clone(),
        ));
    }

    // Freshness data alarms.
    let fresh_task = (cfg.freshness_every_s > 0).then(|| {
        tokio::spawn(jobs::freshness::run(
            store.clone(),
            metrics.forward.clone(),
            cfg.freshness(),
            Duration::from_secs(cfg.freshness_every_s),
            stop_rx.clone(),
        ))
    });

    let task_metrics = metrics.clone();
    let task = tokio::spawn(async move {
        let metrics = task_metrics;
        let limit = Arc::new(Semaphore::new(fds.hj212));
        let mut conns = JoinSet::new();
        let mut stop = stop_rx.clone();
        loop {
            tokio::select! {
                (stream, peer) = listen::accept(&hj, &metrics) => {
                    let Ok(permit) = limit.clone().try_acquire_owned() else {
                        metrics.connections_refused.fetch_add(1, Relaxed);
                        drop(stream);
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    metrics.connections_total.fetch_add(1, Relaxed);
                    metrics.connections_open.fetch_add(1, Relaxed);
                    let (sh, st, m) = (shared.clone(), stop_rx.clone(), metrics.clone());
                    // Every log line of the connection carries its peer, and
                    // its MN once the first frame has named it.
                    let span = tracing::info_span!("conn", %peer, mn = tracing::field::Empty);
                    conns.spawn(async move {
                        tracing::debug!("connection opened");
                        ingest::connection(stream, peer, sh, st).await;
                        m.connections_open.fetch_sub(1, Relaxed);
                        drop(permit);
                    }.instrument(span));
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
                _ = stop.changed() => break,
            }
        }
        drop(hj);
        tracing::info!(
            connections = conns.len(),
            "shutting down: finishing connections"
        );
        let grace = Duration::from_secs(shared.cfg.shutdown_grace_s);
        let _ =
            tokio::time::timeout(grace, async { while conns.join_next().await.is_some() {} }).await;
        conns.abort_all();
        drop(shared);
        // The writers drain what is queued, then see the channel closed.
        while writers.join_next().await.is_some() {}
        let _ = http_task.await;
        let _ = reg_task.await;
        let _ = sweep_task.await;
        let _ = an_task.await;
        let _ = src_task.await;
        let _ = tickets_task.await;
        let _ = hooks_task.await;
        while forward_tasks.join_next().await.is_some() {}
        if let Some(t) = fresh_task {
            let _ = t.await;
        }
        if let Some(t) = ledger_task {
            let _ = t.await;
        }
        if let Some(t) = reports_task {
            let _ = t.await;
        }
        if let Some(t) = alerts_task {
            let _ = t.await;
        }
        tracing::info!("stopped");
        Ok(())
    });

    Ok(Running {
        hj212_addr,
        http_addr,
        metrics,
        figures,
        feed,
        shutdown: stop_tx,
        task,
    })
}
