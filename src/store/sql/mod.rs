//! The store's one way to talk SQL, to SQLite or to PostgreSQL: a [`Connection`] with the
//! handful of calls the store makes (prepare, execute, query one row, query many, run a
//! script), parameters as [`Value`]s, rows read by column.
//!
//! The store's statements are written once; this layer runs them on either database
//! (PostgreSQL gets them through [`translate`]). The API mirrors rusqlite's, which the
//! store was written against, so each store file reads as before.
//! Never imports anything above layer 1.

mod postgres;
pub mod translate;
mod value;

pub use self::postgres::{PgConn, PgTarget};
pub use value::{FromSql, ToSql, Value};

use std::cell::RefCell;

/// What can go wrong running SQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// SQLite's error.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL refused a statement (the server's message).
    #[error("{0}")]
    Postgres(String),
    /// PostgreSQL cannot be reached now; the work may be tried again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// PostgreSQL gave up on the statement because of other sessions (a deadlock, a lock
    /// or statement timeout, a serialization failure): nothing of it stays; trying the work
    /// again is safe and will likely succeed.
    #[error("database busy: {0}")]
    Busy(String),
    /// A query that must return a row returned none.
    #[error("query returned no rows")]
    NoRows,
    /// A column's value does not fit the type asked for.
    #[error("column conversion: {0}")]
    Conversion(String),
}

/// A result of this layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (the embedded default).
    Sqlite,
    /// PostgreSQL (shared by several nodes).
    Postgres,
}

/// One connection.
#[allow(clippy::large_enum_variant)] // one per thread, never moved about
pub enum Connection {
    /// A SQLite connection.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL session (reconnecting; `RefCell` because its client needs `&mut`).
    Postgres(RefCell<PgConn>),
}

impl From<rusqlite::Connection> for Connection {
    fn from(conn: rusqlite::Connection) -> Self {
        Connection::Sqlite(conn)
    }
}

impl Connection {
    /// A private in-memory SQLite database (unit tests).
    pub fn open_in_memory() -> Result<Connection> {
        Ok(Connection::Sqlite(rusqlite::Connection::open_in_memory()?))
    }

    /// A private empty database for unit tests: in-memory SQLite, or a new PostgreSQL
    /// database when `SMSGATE_TEST_STORE=postgres` (the store's suite runs on both).
    #[cfg(test)]
    pub fn for_tests() -> Connection {
        match super::postgres_testing::test_backend() {
            None => Connection::open_in_memory().expect("in-memory SQLite"),
            Some(url) => {
                let target = PgTarget::for_tests(&url);
                Connection::Postgres(RefCell::new(PgConn::connect(target).expect("PostgreSQL")))
            }
        }
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self {
            Connection::Sqlite(_) => Dialect::Sqlite,
            Connection::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Whether this is PostgreSQL (for the few statements written twice).
    pub fn is_postgres(&self) -> bool {
        self.dialect() == Dialect::Postgres
    }

    /// The name of the scalar "larger of" function: SQLite's two-argument `max`,
    /// PostgreSQL's `GREATEST` (alike for the non-NULL arguments the store gives them).
    pub fn greatest(&self) -> &'static str {
        if self.is_postgres() {
            "GREATEST"
        } else {
            "max"
        }
    }

    /// The scalar "smaller of": SQLite's two-argument `min`, PostgreSQL's `LEAST`.
    pub fn least(&self) -> &'static str {
        if self.is_postgres() {
            "LEAST"
        } else {
            "min"
        }
    }

    /// The SQLite connection, for what only SQLite has (pragmas, the backup API).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Connection::Sqlite(conn) => Some(conn),
            Connection::Postgres(_) => None,
        }
    }

    /// A statement, prepared once per connection.
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match self {
            Connection::Sqlite(conn) => Ok(Statement::Sqlite(conn.prepare_cached(sql)?)),
            Connection::Postgres(pg) => {
                let sql = translate::to_postgres(sql);
                pg.borrow_mut().statement(&sql)?;
                Ok(Statement::Postgres { pg, sql })
            }
        }
    }

    /// A statement (used once; PostgreSQL caches it all the same).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_cached(sql)
    }

    /// Runs one statement; the rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Runs a query that must return a row, and maps that row.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Runs statements without parameters, one after another.
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Connection::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Connection::Postgres(pg) => pg.borrow_mut().batch(sql),
        }
    }
}

/// A prepared statement.
pub enum Statement<'c> {
    /// SQLite's, from its statement cache.
    Sqlite(rusqlite::CachedStatement<'c>),
    /// PostgreSQL's: prepared on the session, found again by its text.
    Postgres {
        /// The session.
        pg: &'c RefCell<PgConn>,
        /// The translated text.
        sql: String,
    },
}

impl Statement<'_> {
    /// Runs it; the rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values();
        match self {
            Statement::Sqlite(stmt) => {
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter().map(SqliteValue)))?)
            }
            Statement::Postgres { pg, sql } => pg.borrow_mut().execute(sql, &values),
        }
    }

    /// The first row, mapped; [`Error::NoRows`] when there is none.
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut rows = self.query(params)?;
        match rows.next()? {
            Some(row) => f(&row),
            None => Err(Error::NoRows),
        }
    }

    /// Whether the query returns any row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        Ok(self.query(params)?.next()?.is_some())
    }

    /// Every row, mapped one by one as the iterator is walked.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            map: f,
        })
    }

    /// The rows, walked with [`Rows::next`].
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        let values = params.values();
        match self {
            Statement::Sqlite(stmt) => Ok(Rows::Sqlite(stmt.query(rusqlite::params_from_iter(
                values.into_iter().map(SqliteOwned),
            ))?)),
            Statement::Postgres { pg, sql } => {
                // PostgreSQL's rows arrive whole; the session is free again at once, so a
                // caller may run other statements while it walks them.
                let rows = pg.borrow_mut().query(sql, &values)?;
                Ok(Rows::Postgres(rows.into_iter()))
            }
        }
    }
}

/// Rows being walked.
pub enum Rows<'s> {
    /// SQLite's cursor.
    Sqlite(rusqlite::Rows<'s>),
    /// PostgreSQL's rows, already fetched.
    Postgres(std::vec::IntoIter<::postgres::Row>),
}

impl Rows<'_> {
    /// The next row, if any (not an `Iterator`: a row borrows the cursor).
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(rows) => Ok(rows.next()?.map(Row::Sqlite)),
            Rows::Postgres(rows) => Ok(rows.next().map(Row::PostgresOwned)),
        }
    }
}

/// Rows mapped by a closure, as an iterator of results.
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    map: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.rows.next() {
            Ok(Some(row)) => Some((self.map)(&row)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row.
pub enum Row<'r> {
    /// A SQLite row.
    Sqlite(&'r rusqlite::Row<'r>),
    /// A PostgreSQL row.
    PostgresOwned(::postgres::Row),
}

/// How a column is named: by position or by name.
pub trait ColumnIndex {
    /// The column's position in `row`.
    fn position(&self, row: &Row<'_>) -> Result<usize>;
}

impl ColumnIndex for usize {
    fn position(&self, _: &Row<'_>) -> Result<usize> {
        Ok(*self)
    }
}

impl ColumnIndex for &str {
    fn position(&self, row: &Row<'_>) -> Result<usize> {
        match row {
            Row::Sqlite(r) => Ok(r.as_ref().column_index(self)?),
            Row::PostgresOwned(r) => self::postgres::column_index(r, self),
        }
    }
}

impl Row<'_> {
    /// Column `index` as a `T`.
    pub fn get<I: ColumnIndex, T: FromSql>(&self, index: I) -> Result<T> {
        let at = index.position(self)?;
        let value = match self {
            Row::Sqlite(r) => from_sqlite(r.get_ref(at)?),
            Row::PostgresOwned(r) => self::postgres::column(r, at)?,
        };
        T::from_value(value).map_err(|reason| Error::Conversion(format!("column {at}: {reason}")))
    }
}

fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

/// A borrowed value bound to a SQLite statement.
struct SqliteValue<'v>(&'v Value);

impl rusqlite::ToSql for SqliteValue<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        to_sqlite(self.0)
    }
}

/// An owned value bound to a SQLite statement.
struct SqliteOwned(Value);

impl rusqlite::ToSql for SqliteOwned {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        to_sqlite(&self.0)
    }
}

fn to_sqlite(value: &Value) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
    use rusqlite::types::{ToSqlOutput, ValueRef};
    Ok(ToSqlOutput::Borrowed(match value {
        Value::Null => ValueRef::Null,
        Value::Integer(i) => ValueRef::Integer(*i),
        Value::Real(f) => ValueRef::Real(*f),
        Value::Text(s) => ValueRef::Text(s.as_bytes()),
        Value::Blob(b) => ValueRef::Blob(b),
    }))
}

/// What a statement's parameters can be given as: `params![…]`, an array, `[]`, or
/// [`params_from_iter`].
pub trait Params {
    /// The parameters, in order.
    fn values(self) -> Vec<Value>;
}

impl Params for &[&dyn ToSql] {
    fn values(self) -> Vec<Value> {
        self.iter().map(|p| p.to_value()).collect()
    }
}

impl Params for [&dyn ToSql; 0] {
    fn values(self) -> Vec<Value> {
        Vec::new()
    }
}

macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToSql::to_value).collect()
            }
        }
        impl<T: ToSql> Params for &[T; $n] {
            fn values(self) -> Vec<Value> {
                self.iter().map(ToSql::to_value).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8);

/// Parameters from an iterator of values.
pub struct ParamsFromIter(Vec<Value>);

impl Params for ParamsFromIter {
    fn values(self) -> Vec<Value> {
        self.0
    }
}

/// Parameters from an iterator (a query whose filters are built at run time).
pub fn params_from_iter<I>(iter: I) -> ParamsFromIter
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter.into_iter().map(|v| v.to_value()).collect())
}

/// `params![a, b, …]`: a statement's parameters, of any types that are [`ToSql`].
#[macro_export]
#[doc(hidden)]
macro_rules! __store_sql_params {
    () => {
        &[] as &[&dyn $crate::store::sql::ToSql]
    };
    ($($param:expr),+ $(,)?) => {
        &[$(&$param as &dyn $crate::store::sql::ToSql),+] as &[&dyn $crate::store::sql::ToSql]
    };
}
pub use crate::__store_sql_params as params;

/// `.optional()` on a query's result: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    /// `Ok(None)` for [`Error::NoRows`].
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::NoRows | Error::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_connection_runs_the_store_calls() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, n INTEGER, b BLOB)")
            .unwrap();
        let changed = conn
            .execute(
                "INSERT INTO t (name, n, b) VALUES (?1, ?2, ?3), (?1, NULL, NULL)",
                params!["x", 5_u32, vec![1_u8, 2]],
            )
            .unwrap();
        assert_eq!(changed, 2);
        let (name, n): (String, Option<u32>) = conn
            .query_row("SELECT name, n FROM t WHERE id = ?1", [1], |r| {
                Ok((r.get(0)?, r.get("n")?))
            })
            .unwrap();
        assert_eq!((name.as_str(), n), ("x", Some(5)));
        let all: Vec<Option<i64>> = conn
            .prepare_cached("SELECT n FROM t ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(all, vec![Some(5), None]);
        let none = conn
            .query_row("SELECT id FROM t WHERE id = ?1", [9], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let mut stmt = conn.prepare_cached("SELECT 1 FROM t WHERE n = ?").unwrap();
        assert!(stmt.exists(params![5]).unwrap());
        assert!(!stmt.exists(params_from_iter([6_i64])).unwrap());
    }
}
