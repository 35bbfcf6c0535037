//! Configuration of `lantian serve`, in layers: built-in defaults, then a
//! TOML file (`--config`), then `LANTIAN_*` environment variables, then
//! command-line flags. Each later layer overrides the earlier ones.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Everything `lantian serve` can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `sqlite://PATH` (default `sqlite://lantian.db` in the working
    /// directory) or `postgres://…`.
    pub database: String,
    /// HJ 212 listener.
    pub hj212: String,
    /// HTTP listener (health, metrics).
    pub http: String,
    /// Name of this node in the raw-frame journal (default: host-pid).
    pub node: String,
    /// HJ 212 connections beyond this are closed at once (lowered at start
    /// to fit the process's descriptor limit, see `fd_reserve`).
    pub max_connections: usize,
    /// HTTP connections beyond this are closed at once.
    pub http_max_connections: usize,
    /// An HTTP connection must send a request's whole header within this
    /// many seconds of being ready for one (a new connection, or a kept-alive
    /// one after its last answer), or it is closed.
    pub http_header_timeout_s: u64,
    /// An HTTP connection that moves no byte either way for this many
    /// seconds is closed (a body sent too slowly, a reader that stopped).
    pub http_idle_timeout_s: u64,
    /// Descriptors kept free of connections for the database, logs and
    /// listeners.
    pub fd_reserve: usize,
    /// A connection silent this long is closed (seconds).
    pub idle_timeout_s: u64,
    /// Largest data segment accepted (bytes, ≤ 9999).
    pub max_segment: usize,
    /// Bytes of garbage a connection may send without one valid frame before
    /// it is closed.
    pub max_garbage_bytes: usize,
    /// Most frames in one commit.
    pub batch_max_frames: usize,
    /// Jobs waiting for the writer before connections stop reading.
    pub queue_depth: usize,
    /// Writer tasks (1 for SQLite; several help PostgreSQL).
    pub writers: usize,
    /// How often the device registry is reloaded (seconds).
    pub registry_refresh_s: u64,
    /// Judge frames strictly (the standard to the letter).
    pub strict: bool,
    /// How long shutdown waits for connections to finish (seconds).
    pub shutdown_grace_s: u64,
    /// 32 hex digits that seal devices' SM4 keys in the database (HJ 212-2025).
    /// Give it by environment (`LANTIAN_MASTER_KEY`), not in a file.
    pub master_key: String,
    /// How often the dashboard's figures are rebuilt when data arrived (seconds).
    pub analysis_every_s: u64,
    /// A note shown on every page about the data (the demo's sample label).
    pub label: String,
    /// The raw-frame journal keeps frames this many days, and at most this
    /// many rows (the oldest go first); likewise the quarantine.
    pub frames_keep_days: i64,
    pub frames_keep_rows: i64,
    pub quarantine_keep_days: i64,
    pub quarantine_keep_rows: i64,
    /// How often the journal is swept (seconds).
    pub retention_sweep_every_s: u64,
    /// The longest period the API evaluates (`/api/v1/assessment?from&to`), years.
    pub max_period_years: u32,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For` names
    /// the client; their own addresses are not rate limited.
    pub trusted_proxies: Vec<String>,
    /// Password checks (argon2id, ~19 MiB each) running at once; logins
    /// beyond this are answered 503 at once.
    pub login_concurrency: usize,
    /// The area's targets (the Biyang plan's by default): annual PM2.5 below
    /// this (µg/m³), good-day ratio at least, heavy-or-worse ratio at most
    /// (percent). Decimal text, read exactly.
    pub target_pm25_below: String,
    pub target_good_ratio_at_least: String,
    pub target_heavy_ratio_at_most: String,
    /// Tickets: the rule file of deadlines, severities, the escalation
    /// ladder and extension limits (empty: the shipped
    /// `crates/tickets/rules/tickets-2026-1.tsv`).
    pub tickets_rules: String,
    /// How often the escalation ladder is checked (seconds).
    pub tickets_every_s: u64,
    /// The task ledger's rule file (report day, lights; empty: the shipped
    /// `crates/ledger/rules/ledger-2026-1.tsv`) and the assessment's
    /// scheme (empty: `crates/ledger/rules/score-2026-1.tsv`).
    pub ledger_rules: String,
    pub score_rules: String,
    /// How often the ledger's 红 tasks are escalated to tickets (seconds;
    /// 0: never).
    pub ledger_every_s: u64,
    /// How often due webhook deliveries are sent (seconds).
    pub webhooks_every_s: u64,
    /// Public reports (and Open311 requests, and their photos) one client
    /// address may send in an hour, per node.
    pub public_reports_per_hour: u32,
    /// The role that approves an alert of each level (default: bureau for
    /// yellow and orange, admin for red — a vice-head signs yellow and
    /// orange, the head red, policy.md §1.3).
    pub alert_approve_yellow: String,
    pub alert_approve_orange: String,
    pub alert_approve_red: String,
    /// Which bound of a forecast's AQI range counts: upper (default) or lower.
    pub forecast_range_bound: String,
    /// Firms' compliance during an alert (`lantian_alerts::compliance`):
    /// days of baseline (7), hours before the alert left out of it (24), the
    /// share of its baseline a stopped firm may keep (10 %, standby) [M],
    /// the slack on a limit (5 points) [M], and the rise in the 24 h before
    /// the alert that flags raising the load (15 %).
    pub compliance_baseline_days: i64,
    pub compliance_skip_hours: i64,
    pub compliance_stop_keep_percent: i64,
    pub compliance_limit_slack_percent: i64,
    pub compliance_raise_margin_percent: i64,
    /// The unit CEMS devices send standard dry flow (`a00000`) in: `m3/s`
    /// (HJ 212 Table B.2, default) or `m3/h`.
    pub compliance_flow_unit: String,
    /// How often the alert in force is judged and its violating firms
    /// opened as tickets (seconds; 0: never).
    pub alerts_every_s: u64,
    /// `POST /api/v1/observations`: the largest body (bytes, default 8 MiB)
    /// and the most rows one call may carry (default 100,000).
    pub push_max_bytes: usize,
    pub push_max_rows: usize,
    /// Source supervision: how often new data are judged (seconds).
    pub sources_every_s: u64,
    /// Hours of each outlet kept and judged.
    pub sources_window_hours: i64,
    /// Distinct valid minutes an hour of real-time samples needs to count
    /// (HJ 75: 45).
    pub sources_min_valid_minutes: u32,
    /// The rules' settings as `key=value` (see `lantian sources check
    /// --set`: o2_cap, constant_hours, zero_hours, missing_hours,
    /// flag_hours, o2_high_hours, zs_tolerance_pct, over_range_counts,
    /// min_day_hours, running_pct, window_minutes, off_windows,
    /// catering_window_minutes, catering_off_windows). Unset: the documented
    /// defaults of `lantian-sources`.
    pub sources_settings: Vec<String>,
    /// Data review: keep sand-dust hours in the day counts and their
    /// ratios (CNEMC monthly-report variant; default false: dust deducted
    /// from every statistic, the 考核 and ranking basis).
    pub review_dust_in_day_counts: bool,
    /// Data review: drop fireworks-marked hours like sand-dust (default
    /// false: before 2026 only sand-dust was deducted).
    pub review_deduct_fireworks: bool,
    /// Forwarding up (数据转发): one `[[forward]]` table per upper platform.
    pub forward: Vec<ForwardTarget>,
    /// Freshness data alarms: how often devices and feeds are judged
    /// (seconds; 0: never), and the thresholds of `lantian_sources::freshness`
    /// (a device with a line silent beyond `freshness_silent_s`, default
    /// 7,200, or 3 × its real-time interval; an intake feed whose latest hour
    /// ended more than `freshness_intake_silent_s` ago, default 10,800).
    pub freshness_every_s: u64,
    pub freshness_silent_s: i64,
    pub freshness_intake_silent_s: i64,
    /// Reports: the county's name on them; when `serve` makes the daily
    /// brief (of yesterday) and, on the 1st, the monthly report (Beijing
    /// `HH:MM`); how often it looks whether one is due (seconds; 0: never).
    pub report_county: String,
    pub report_daily_at: String,
    pub report_monthly_at: String,
    pub reports_every_s: u64,
}

/// Which devices a target is sent: `"*"` (every device with a line of its
/// own — not the stations' intake devices, whose hours came from above) or
/// a list of MNs (intake devices included when listed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ForwardDevices {
    All(String),
    List(Vec<String>),
}

impl Default for ForwardDevices {
    fn default() -> Self {
        ForwardDevices::All("*".into())
    }
}

/// One upper platform (a city or province platform, or another lantian
/// `serve`) that every committed upload of the chosen devices is forwarded
/// to over HJ 212, re-sent until it answers 9014.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForwardTarget {
    /// A name for the metrics, the 设备 page and `lantian audit acks`.
    pub name: String,
    /// host:port of the upper platform's HJ 212 listener.
    pub target: String,
    /// 2005, 2017 (default) or 2025: the frames' Flag version bits, and
    /// for 2005 the factor codes of HJ/T 212-2005 where one exists.
    #[serde(default = "default_forward_protocol")]
    pub protocol: String,
    #[serde(default)]
    pub devices: ForwardDevices,
    /// Local MN → the MN the upper platform knows the device by.
    #[serde(default)]
    pub mn: std::collections::BTreeMap<String, String>,
    /// The upper platform's password for every device (default: each
    /// device's own).
    #[serde(default)]
    pub pw: Option<String>,
    /// Forward the whole outbox from its start (default: only what is
    /// committed from the first start with this target on).
    #[serde(default)]
    pub from_start: bool,
    /// Frames sent before their acknowledgements come back (default 64).
    #[serde(default = "default_forward_window")]
    pub window: usize,
    /// Seconds an acknowledgement is waited for before the line is taken
    /// as dropped and the unacknowledged frames are sent again (default 10).
    #[serde(default = "default_forward_ack_timeout")]
    pub ack_timeout_s: u64,
    /// Seconds of lag (oldest unacknowledged upload) that raise the
    /// target's data alarm (default 900).
    #[serde(default = "default_forward_lag_alarm")]
    pub lag_alarm_s: u64,
    /// Sends of one upload without a 9014 before it is given up (logged,
    /// counted, recorded; default 20; 0: never). An upper platform that
    /// does not know a device never answers it, and one such upload must
    /// not hold the others up for ever.
    #[serde(default = "default_forward_max_tries")]
    pub max_tries: u32,
}

fn default_forward_max_tries() -> u32 {
    20
}

fn default_forward_protocol() -> String {
    "2017".into()
}
fn default_forward_window() -> usize {
    64
}
fn default_forward_ack_timeout() -> u64 {
    10
}
fn default_forward_lag_alarm() -> u64 {
    900
}

impl ForwardTarget {
    /// The target's settings checked (name, address, protocol, devices).
    pub fn check(&self) -> anyhow::Result<()> {
        if self.name.trim().is_empty() || self.name.contains(char::is_whitespace) {
            anyhow::bail!("[[forward]] name `{}`: a word without spaces", self.name);
        }
        if !self.target.contains(':') {
            anyhow::bail!(
                "[[forward]] {}: target `{}` is not host:port",
                self.name,
                self.target
            );
        }
        if !["2005", "2017", "2025"].contains(&self.protocol.as_str()) {
            anyhow::bail!(
                "[[forward]] {}: protocol `{}`: 2005, 2017 or 2025",
                self.name,
                self.protocol
            );
        }
        if let ForwardDevices::All(s) = &self.devices
            && s != "*"
        {
            anyhow::bail!(
                "[[forward]] {}: devices `{s}`: \"*\" or a list of MNs",
                self.name
            );
        }
        if self.window == 0 || self.window > 4096 {
            anyhow::bail!(
                "[[forward]] {}: window {}: 1 to 4096",
                self.name,
                self.window
            );
        }
        Ok(())
    }
}

impl Config {
    /// The freshness thresholds.
    pub fn freshness(&self) -> lantian_sources::freshness::Settings {
        lantian_sources::freshness::Settings {
            silent_after_s: self.freshness_silent_s.max(60),
            intake_silent_after_s: self.freshness_intake_silent_s.max(60),
            ..Default::default()
        }
    }

    /// How the data review's marks become figures.
    pub fn review(&self) -> lantian_assess::review::ReviewSettings {
        lantian_assess::review::ReviewSettings {
            dust_in_day_counts: self.review_dust_in_day_counts,
            deduct_fireworks: self.review_deduct_fireworks,
        }
    }

    /// The source-supervision job's settings, or the setting that is wrong.
    pub fn supervisor(&self) -> anyhow::Result<crate::jobs::sources::SupervisorSettings> {
        let mut s = crate::jobs::sources::SupervisorSettings {
            window_hours: self.sources_window_hours.clamp(24, 24 * 400),
            min_valid_minutes: self.sources_min_valid_minutes.clamp(1, 60),
            ..Default::default()
        };
        for kv in &self.sources_settings {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("sources_settings `{kv}`: key=value"))?;
            let k = k.trim();
            let r = if s.power.set(k, v).is_ok() {
                Ok(())
            } else {
                s.rules.set(k, v)
            };
            r.map_err(|e| anyhow::anyhow!("sources_settings: {e}"))?;
        }
        Ok(s)
    }

    /// The reports' settings, or the setting that is wrong.
    pub fn report_settings(&self) -> anyhow::Result<crate::jobs::reports::ReportSettings> {
        let at = |name: &str, v: &str| {
            chrono::NaiveTime::parse_from_str(v.trim(), "%H:%M")
                .map_err(|_| anyhow::anyhow!("{name} `{v}`: a Beijing time HH:MM"))
        };
        let mut r = crate::jobs::reports::ReportSettings::new(&self.database);
        r.county = self.report_county.trim().to_string();
        if r.county.is_empty() {
            anyhow::bail!("report_county is empty");
        }
        r.label = (!self.label.is_empty()).then(|| self.label.clone());
        r.targets = self.targets()?;
        r.review = self.review();
        r.ledger = std::sync::Arc::new(self.ledger_settings()?);
        r.daily_at = at("report_daily_at", &self.report_daily_at)?;
        r.monthly_at = at("report_monthly_at", &self.report_monthly_at)?;
        r.node = self.node.clone();
        r.compliance = self.compliance_settings()?;
        Ok(r)
    }

    /// The targets, or what is wrong with them.
    pub fn targets(&self) -> anyhow::Result<lantian_standards::targets::Targets> {
        let d = |name: &str, v: &str| {
            v.trim()
                .parse::<lantian_standards::Decimal>()
                .map_err(|_| anyhow::anyhow!("{name} `{v}` is not a number"))
        };
        Ok(lantian_standards::targets::Targets {
            pm25_below: d("target_pm25_below", &self.target_pm25_below)?,
            good_ratio_at_least: d(
                "target_good_ratio_at_least",
                &self.target_good_ratio_at_least,
            )?,
            heavy_ratio_at_most: d(
                "target_heavy_ratio_at_most",
                &self.target_heavy_ratio_at_most,
            )?,
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database: "sqlite://lantian.db".into(),
            hj212: "0.0.0.0:9212".into(),
            http: "127.0.0.1:8080".into(),
            node: String::new(),
            max_connections: 20_000,
            http_max_connections: 1024,
            http_header_timeout_s: 10,
            http_idle_timeout_s: 60,
            fd_reserve: 256,
            idle_timeout_s: 900,
            max_segment: 4096,
            max_garbage_bytes: 65_536,
            batch_max_frames: 4096,
            queue_depth: 8192,
            writers: 0,
            registry_refresh_s: 10,
            strict: false,
            shutdown_grace_s: 10,
            master_key: String::new(),
            analysis_every_s: 60,
            label: String::new(),
            frames_keep_days: 90,
            frames_keep_rows: 20_000_000,
            quarantine_keep_days: 30,
            quarantine_keep_rows: 1_000_000,
            retention_sweep_every_s: 3600,
            max_period_years: 20,
            trusted_proxies: Vec::new(),
            login_concurrency: 4,
            target_pm25_below: "35".into(),
            target_good_ratio_at_least: "82.5".into(),
            target_heavy_ratio_at_most: "0.3".into(),
            tickets_rules: String::new(),
            tickets_every_s: 60,
            ledger_rules: String::new(),
            score_rules: String::new(),
            ledger_every_s: 3600,
            webhooks_every_s: 5,
            public_reports_per_hour: 5,
            alert_approve_yellow: "bureau".into(),
            alert_approve_orange: "bureau".into(),
            alert_approve_red: "admin".into(),
            forecast_range_bound: "upper".into(),
            compliance_baseline_days: 7,
            compliance_skip_hours: 24,
            compliance_stop_keep_percent: 10,
            compliance_limit_slack_percent: 5,
            compliance_raise_margin_percent: 15,
            compliance_flow_unit: "m3/s".into(),
            alerts_every_s: 300,
            push_max_bytes: 8 * 1024 * 1024,
            push_max_rows: 100_000,
            sources_every_s: 10,
            sources_window_hours: 30 * 24,
            sources_min_valid_minutes: 45,
            sources_settings: Vec::new(),
            review_dust_in_day_counts: false,
            review_deduct_fireworks: false,
            forward: Vec::new(),
            freshness_every_s: 60,
            freshness_silent_s: 7_200,
            freshness_intake_silent_s: 10_800,
            report_county: "泌阳县".into(),
            report_daily_at: "07:30".into(),
            report_monthly_at: "08:00".into(),
            reports_every_s: 60,
        }
    }
}

/// Flags given on the command line (each overrides the other layers when set).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hj212: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
}

impl Config {
    /// The ticket rules: the configured file, or the shipped one.
    pub fn ticket_rules(&self) -> anyhow::Result<lantian_tickets::rules::Rules> {
        if self.tickets_rules.is_empty() {
            return Ok(lantian_tickets::rules::Rules::default());
        }
        let text = std::fs::read_to_string(&self.tickets_rules)
            .map_err(|e| anyhow::anyhow!("tickets_rules {}: {e}", self.tickets_rules))?;
        lantian_tickets::rules::Rules::parse(&text)
            .map_err(|e| anyhow::anyhow!("tickets_rules {}: {e}", self.tickets_rules))
    }

    /// The ledger's rules and the assessment's scheme: the configured
    /// files, or the shipped ones.
    pub fn ledger_settings(&self) -> anyhow::Result<crate::http::routes::ledger::LedgerSettings> {
        let read = |key: &str, path: &str| {
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{key} {path}: {e}"))
        };
        let mut out = crate::http::routes::ledger::LedgerSettings::default();
        if !self.ledger_rules.is_empty() {
            let text = read("ledger_rules", &self.ledger_rules)?;
            out.rules = lantian_ledger::tasks::LedgerRules::parse(&text, &self.ledger_rules)
                .map_err(anyhow::Error::msg)?;
        }
        if !self.score_rules.is_empty() {
            let text = read("score_rules", &self.score_rules)?;
            out.score = lantian_ledger::score::ScoreRules::parse(&text, &self.score_rules)
                .map_err(anyhow::Error::msg)?;
        }
        Ok(out)
    }

    /// The alert approvers and the forecast bound, checked.
    pub fn alert_settings(
        &self,
    ) -> anyhow::Result<(lantian_alerts::lifecycle::Approvers, lantian_alerts::Bound)> {
        for (k, v) in [
            ("alert_approve_yellow", &self.alert_approve_yellow),
            ("alert_approve_orange", &self.alert_approve_orange),
            ("alert_approve_red", &self.alert_approve_red),
        ] {
            if !matches!(v.as_str(), "bureau" | "admin") {
                anyhow::bail!("{k} `{v}`: bureau or admin");
            }
        }
        let bound = match self.forecast_range_bound.as_str() {
            "upper" => lantian_alerts::Bound::Upper,
            "lower" => lantian_alerts::Bound::Lower,
            v => anyhow::bail!("forecast_range_bound `{v}`: upper or lower"),
        };
        Ok((
            lantian_alerts::lifecycle::Approvers {
                yellow: self.alert_approve_yellow.clone(),
                orange: self.alert_approve_orange.clone(),
                red: self.alert_approve_red.clone(),
            },
            bound,
        ))
    }

    /// The compliance thresholds, checked.
    pub fn compliance_settings(&self) -> anyhow::Result<lantian_alerts::compliance::Settings> {
        for (k, v, lo, hi) in [
            (
                "compliance_baseline_days",
                self.compliance_baseline_days,
                1,
                60,
            ),
            ("compliance_skip_hours", self.compliance_skip_hours, 0, 240),
            (
                "compliance_stop_keep_percent",
                self.compliance_stop_keep_percent,
                0,
                100,
            ),
            (
                "compliance_limit_slack_percent",
                self.compliance_limit_slack_percent,
                0,
                100,
            ),
            (
                "compliance_raise_margin_percent",
                self.compliance_raise_margin_percent,
                0,
                1000,
            ),
        ] {
            if !(lo..=hi).contains(&v) {
                anyhow::bail!("{k} = {v}: from {lo} to {hi}");
            }
        }
        Ok(lantian_alerts::compliance::Settings {
            baseline_days: self.compliance_baseline_days,
            skip_hours: self.compliance_skip_hours,
            stop_keep_percent: self.compliance_stop_keep_percent,
            limit_slack_percent: self.compliance_limit_slack_percent,
            raise_margin_percent: self.compliance_raise_margin_percent,
            flow_per_hour: match self.compliance_flow_unit.trim() {
                "m3/s" | "m³/s" => 3600,
                "m3/h" | "m³/h" => 1,
                v => anyhow::bail!("compliance_flow_unit `{v}`: m3/s or m3/h"),
            },
        })
    }

    /// Defaults ← `file` ← `LANTIAN_*` environment ← flags.
    pub fn load(file: Option<&Path>, flags: &Overrides) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(f) = file {
            if !f.exists() {
                anyhow::bail!("config file {} does not exist", f.display());
            }
            fig = fig.merge(Toml::file(f));
        }
        let mut cfg: Config = fig
            .merge(Env::prefixed("LANTIAN_"))
            .merge(Serialized::defaults(flags))
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        if cfg.node.is_empty() {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            cfg.node = format!("{}-{}", host.trim(), std::process::id());
        }
        if cfg.writers == 0 {
            cfg.writers = if cfg.database.starts_with("postgres") {
                4
            } else {
                1
            };
        }
        cfg.max_segment = cfg.max_segment.min(9999);
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_exact_and_a_bad_one_is_named() {
        let mut c = Config::default();
        let t = c.targets().unwrap();
        assert_eq!(t.good_ratio_at_least.to_string(), "82.5");
        c.target_heavy_ratio_at_most = "0,3".into();
        assert_eq!(
            c.targets().unwrap_err().to_string(),
            "target_heavy_ratio_at_most `0,3` is not a number"
        );
    }

    #[test]
    fn forward_tables_parse_and_a_bad_one_is_named() {
        let dir = std::env::temp_dir().join(format!("lantian-fwd-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.toml");
        std::fs::write(
            &file,
            "[[forward]]\nname = \"city\"\ntarget = \"10.0.0.1:5000\"\ndevices = [\"MN1\"]\n[forward.mn]\nMN1 = \"UP1\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), &Overrides::default()).unwrap();
        let t = &c.forward[0];
        assert_eq!(
            (t.protocol.as_str(), t.window, t.ack_timeout_s, t.max_tries),
            ("2017", 64, 10, 20)
        );
        assert_eq!(t.devices, ForwardDevices::List(vec!["MN1".into()]));
        assert_eq!(t.mn.get("MN1").map(String::as_str), Some("UP1"));
        t.check().unwrap();
        for (bad, says) in [
            (
                ForwardTarget {
                    protocol: "2019".into(),
                    ..t.clone()
                },
                "protocol `2019`",
            ),
            (
                ForwardTarget {
                    target: "city".into(),
                    ..t.clone()
                },
                "not host:port",
            ),
            (
                ForwardTarget {
                    devices: ForwardDevices::All("all".into()),
                    ..t.clone()
                },
                "devices `all`",
            ),
            (
                ForwardTarget {
                    window: 0,
                    ..t.clone()
                },
                "window 0",
            ),
            (
                ForwardTarget {
                    name: "a b".into(),
                    ..t.clone()
                },
                "without spaces",
            ),
        ] {
            let e = bad.check().unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        // An unknown key in a [[forward]] table is refused, not ignored.
        std::fs::write(
            &file,
            "[[forward]]\nname = \"city\"\ntarget = \"h:1\"\nwindw = 3\n",
        )
        .unwrap();
        let e = Config::load(Some(&file), &Overrides::default()).unwrap_err();
        assert!(format!("{e:#}").contains("windw"), "{e:#}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
