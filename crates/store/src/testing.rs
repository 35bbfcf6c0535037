//! Test support (for this crate's tests and the server's): a fresh database
//! per test on each backend that is available. PostgreSQL needs
//! `LANTIAN_TEST_PG`, an admin URL such as
//! `postgres://root@127.0.0.1:5432/test`: each test creates its own
//! database (dropping what an earlier run of it left). With `CI=true` the
//! PostgreSQL variant is mandatory; elsewhere a test says it was skipped.
#![doc(hidden)]

use sqlx::Connection;

/// A fresh database URL per test for each backend that is available.
pub async fn databases(test: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("lantian-test-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.join("t.db").display())];
    match std::env::var("LANTIAN_TEST_PG") {
        Ok(admin) => {
            let name = format!("lantian_t_{}_{}", std::process::id(), test);
            let mut c = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to LANTIAN_TEST_PG");
            // Databases this test left behind in earlier runs.
            let old: Vec<(String,)> =
                sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE $1")
                    .bind(format!("lantian_t_%_{test}"))
                    .fetch_all(&mut c)
                    .await
                    .unwrap_or_default();
            for (db,) in old {
                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
            }
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name}"
            )))
            .execute(&mut c)
            .await;
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut c)
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            urls.push(format!("{base}/{name}"));
        }
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true: LANTIAN_TEST_PG must point at the PostgreSQL of the CI machine")
        }
        Err(_) => {
            eprintln!("SKIPPED: PostgreSQL tests of `{test}` (set LANTIAN_TEST_PG to run them)")
        }
    }
    urls
}

/// A device of an ambient station as tests register it: `mn`, password
/// `123456`, site `site` (named after itself, no township, counted in the
/// area), HJ 212 CRC, auto protocol.
pub fn ambient_spec(mn: &str, site: &str) -> crate::DeviceSpec {
    crate::DeviceSpec {
        mn: lantian_types::Mn::parse(mn).expect("a test MN"),
        password: "123456".into(),
        site: crate::Site {
            code: lantian_types::SiteCode::parse(site).expect("a test site code"),
            name: site.into(),
            kind: lantian_types::SiteKind::Ambient,
            township: None,
            lon: None,
            lat: None,
            assessment: true,
        },
        kind: lantian_types::DeviceKind::Ambient,
        protocol: lantian_types::Protocol::Auto,
        crc: lantian_types::CrcDialect::Hj212,
        unit_overrides: String::new(),
        rtd_interval_s: None,
        min_interval_min: None,
        sm4_key_sealed: None,
    }
}
