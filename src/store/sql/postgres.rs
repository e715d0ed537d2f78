//! The PostgreSQL side of the SQL layer: a connection that reconnects, its prepared
//! statements, and the conversion of parameters and columns to and from [`Value`].
//!
//! The `postgres` crate (the blocking face of `tokio-postgres`) fits the store's threads: the
//! writer and each reader own one connection, as they own one SQLite connection.
//! A connection that broke (the server restarted, the network went) is opened again at the
//! start of the next job; until then every job fails fast with `Error::Unavailable`, which
//! callers turn into a 503 — nothing waits on a dead socket, nothing loops hot (one connect
//! attempt per [`RECONNECT_EVERY`]).

use super::value::Value;
use super::Error;
use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// At most one connection attempt per this long while the server is away.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// How to reach the server: the parsed config (password included, never printed), TLS, and
/// the settings every new session gets.
#[derive(Clone)]
pub struct PgTarget {
    /// Host, port, user, database, password, `sslmode`.
    pub config: postgres::Config,
    /// TLS (rustls) for `sslmode=prefer` (the default: TLS when the server offers it) and
    /// `require`; the server's certificate is always verified — against the system's
    /// roots, or `[storage] ssl_root_cert`. `None`: no TLS at all.
    pub tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// `statement_timeout`, so a stuck query cannot hold the writer for ever.
    pub statement_timeout: Duration,
    /// Shown in `pg_stat_activity` (the node's id).
    pub application_name: String,
}

impl PgTarget {
    /// A target for tests: `url` (no password), a 30 s statement timeout.
    #[allow(clippy::expect_used)] // a test's own URL that does not parse is the test's bug
    pub fn for_tests(url: &str) -> PgTarget {
        PgTarget {
            config: url.parse().expect("a PostgreSQL URL"),
            tls: None,
            statement_timeout: Duration::from_secs(30),
            application_name: "smsgate tests".into(),
        }
    }
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config's own Debug redacts the password; say no more than where and who.
        f.debug_struct("PgTarget")
            .field("hosts", &self.config.get_hosts())
            .field("dbname", &self.config.get_dbname())
            .field("user", &self.config.get_user())
            .finish_non_exhaustive()
    }
}

/// One session with the server, opened again when it breaks.
pub struct PgConn {
    target: PgTarget,
    client: Option<postgres::Client>,
    statements: HashMap<String, postgres::Statement>,
    last_attempt: Option<Instant>,
}

impl PgConn {
    /// Connects now (a first connection that fails is an error for the caller).
    pub fn connect(target: PgTarget) -> Result<PgConn, Error> {
        let mut conn = PgConn {
            target,
            client: None,
            statements: HashMap::new(),
            last_attempt: None,
        };
        conn.ensure()?;
        Ok(conn)
    }

    /// The live client, connecting again first if the last one broke.
    pub fn ensure(&mut self) -> Result<&mut postgres::Client, Error> {
        if self
            .client
            .as_ref()
            .is_some_and(postgres::Client::is_closed)
        {
            self.client = None;
        }
        if self.client.is_none() {
            if self
                .last_attempt
                .is_some_and(|at| at.elapsed() < RECONNECT_EVERY)
            {
                return Err(Error::Unavailable(
                    "the database is unreachable (reconnecting)".into(),
                ));
            }
            self.last_attempt = Some(Instant::now());
            self.statements.clear();
            let connected = match &self.target.tls {
                Some(tls) => self.target.config.connect(tls.clone()),
                None => self.target.config.connect(postgres::NoTls),
            };
            let mut client = connected.map_err(|e| Error::Unavailable(describe(&e)))?;
            let timeout_ms = self.target.statement_timeout.as_millis();
            let name = self.target.application_name.replace('\'', "");
            client
                .batch_execute(&format!(
                    "SET statement_timeout = {timeout_ms}; SET application_name = '{name}';"
                ))
                .map_err(|e| Error::Unavailable(describe(&e)))?;
            self.client = Some(client);
        }
        self.client
            .as_mut()
            .ok_or_else(|| Error::Unavailable("no connection".into()))
    }

    /// Whether a session is open (it may still turn out broken on its next use).
    pub fn is_connected(&self) -> bool {
        self.client.as_ref().is_some_and(|c| !c.is_closed())
    }

    /// The prepared statement for `sql` (already translated), prepared once per session.
    pub fn statement(&mut self, sql: &str) -> Result<postgres::Statement, Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let client = self.ensure()?;
        let statement = client.prepare(sql).map_err(|e| from_pg(&e, client))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs a prepared statement; rows affected.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, Error> {
        let statement = self.statement(sql)?;
        let client = self.ensure()?;
        let binds: Vec<Bind<'_>> = params.iter().map(Bind).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
        let n = client
            .execute(&statement, &refs)
            .map_err(|e| from_pg(&e, client))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// Runs a prepared statement; its rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<postgres::Row>, Error> {
        let statement = self.statement(sql)?;
        let client = self.ensure()?;
        let binds: Vec<Bind<'_>> = params.iter().map(Bind).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
        client
            .query(&statement, &refs)
            .map_err(|e| from_pg(&e, client))
    }

    /// Runs statements without parameters (transaction control, DDL).
    pub fn batch(&mut self, sql: &str) -> Result<(), Error> {
        let client = self.ensure()?;
        client.batch_execute(sql).map_err(|e| from_pg(&e, client))
    }
}

/// A PostgreSQL error as the store reports it: a broken session is `Unavailable` (callers
/// answer 503 and try again later), anything else a statement error.
fn from_pg(e: &postgres::Error, client: &postgres::Client) -> Error {
    use postgres::error::SqlState;
    let server_going = e
        .code()
        .is_some_and(|c| *c == SqlState::ADMIN_SHUTDOWN || *c == SqlState::CANNOT_CONNECT_NOW);
    let no_answer = e.as_db_error().is_none() && e.code().is_none();
    let contended = e.code().is_some_and(|c| {
        *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::LOCK_NOT_AVAILABLE
            || *c == SqlState::QUERY_CANCELED
    });
    if client.is_closed() || e.is_closed() || no_answer || server_going {
        Error::Unavailable(describe(e))
    } else if contended {
        Error::Busy(describe(e))
    } else {
        Error::Postgres(describe(e))
    }
}

/// The server's message (with its detail) rather than the crate's "db error".
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{}: {detail}", db.message()),
            None => db.message().to_string(),
        },
        None => {
            let source = std::error::Error::source(e).map(ToString::to_string);
            match source {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            }
        }
    }
}

/// A parameter bound to whatever type PostgreSQL inferred for its place.
#[derive(Debug)]
struct Bind<'a>(&'a Value);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl ToSql for Bind<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => bind_integer(*i, ty, out),
            #[allow(clippy::cast_possible_truncation)]
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("a number cannot go where {ty} is expected").into()),
            },
            Value::Text(s) => match *ty {
                Type::JSON => {
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::JSONB => {
                    // JSONB's binary form is a version byte, then the text.
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(s.as_bytes());
                    Ok(IsNull::No)
                }
                Type::INT8 => bind_integer(s.parse()?, ty, out),
                _ => s.as_str().to_sql(ty, out),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => b.as_slice().to_sql(ty, out),
                _ => Err(format!("bytes cannot go where {ty} is expected").into()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        // Every value is converted by the type of its place, in `to_sql`.
        true
    }

    postgres::types::to_sql_checked!();
}

fn bind_integer(i: i64, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::INT8 => i.to_sql(ty, out),
        Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
        Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
        Type::BOOL => (i != 0).to_sql(ty, out),
        #[allow(clippy::cast_precision_loss)]
        Type::FLOAT8 => (i as f64).to_sql(ty, out),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            i.to_string().as_str().to_sql(ty, out)
        }
        _ => Err(format!("an integer cannot go where {ty} is expected").into()),
    }
}

/// A column read as a [`Value`], by its PostgreSQL type.
struct Column(Value);

impl<'a> FromSql<'a> for Column {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => Value::Text(String::from_utf8(raw.get(1..).unwrap_or(&[]).to_vec())?),
            _ => Value::Text(String::from_utf8(raw.to_vec())?),
        };
        Ok(Column(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Column(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// NUMERIC's binary form (what `sum()` and `avg()` of a BIGINT give): an integer when it has
/// no fractional digits and fits, else a double.
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<u16, BoxError> {
        raw.get(i * 2..i * 2 + 2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map(u16::from_be_bytes)
            .ok_or_else(|| "a NUMERIC value is cut short".into())
    };
    let ndigits = usize::from(word(0)?);
    let weight = i32::from(word(1)?.cast_signed());
    let sign = word(2)?;
    let dscale = word(3)?;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let negative = sign == 0x4000;
    let mut exact: Option<i128> = Some(0);
    let mut approx = 0.0_f64;
    for i in 0..ndigits {
        let digit = word(4 + i)?;
        let power = weight - i32::try_from(i)?;
        approx += f64::from(digit) * 10_000_f64.powi(power);
        exact = match (exact, u32::try_from(power)) {
            (Some(sum), Ok(p)) => 10_000_i128
                .checked_pow(p)
                .and_then(|scale| scale.checked_mul(i128::from(digit)))
                .and_then(|v| sum.checked_add(v)),
            _ => None,
        };
    }
    if dscale == 0 {
        if let Some(v) = exact.and_then(|v| i64::try_from(if negative { -v } else { v }).ok()) {
            return Ok(Value::Integer(v));
        }
    }
    Ok(Value::Real(if negative { -approx } else { approx }))
}

/// Column `index` of a PostgreSQL row as a [`Value`].
pub fn column(row: &postgres::Row, index: usize) -> Result<Value, Error> {
    row.try_get::<_, Column>(index)
        .map(|c| c.0)
        .map_err(|e| Error::Conversion(format!("column {index}: {e}")))
}

/// The index of the column called `name`.
pub fn column_index(row: &postgres::Row, name: &str) -> Result<usize, Error> {
    row.columns()
        .iter()
        .position(|c| c.name() == name)
        .ok_or_else(|| Error::Conversion(format!("no column {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(words: &[u16]) -> Vec<u8> {
        words.iter().flat_map(|w| w.to_be_bytes()).collect()
    }

    #[test]
    fn numerics_read_as_integers_or_doubles() {
        // 12345678 = 1234·10000 + 5678: ndigits 2, weight 1, positive, scale 0.
        let raw = numeric_bytes(&[2, 1, 0, 0, 1234, 5678]);
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(12_345_678));
        let raw = numeric_bytes(&[1, 0, 0x4000, 0, 42]);
        assert_eq!(numeric(&raw).unwrap(), Value::Integer(-42));
        // 2.5: digits 2, 5000 with weight 0, scale 1.
        let raw = numeric_bytes(&[2, 0, 0, 1, 2, 5000]);
        assert_eq!(numeric(&raw).unwrap(), Value::Real(2.5));
        // Zero has no digits.
        assert_eq!(
            numeric(&numeric_bytes(&[0, 0, 0, 0])).unwrap(),
            Value::Integer(0)
        );
        assert!(numeric(&[0, 2]).is_err());
    }
}
