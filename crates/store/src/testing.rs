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
