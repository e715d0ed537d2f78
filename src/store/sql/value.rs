//! The values that cross the store's SQL layer, whichever database is underneath: what a
//! parameter becomes ([`ToSql`]), what a column is read as ([`FromSql`]).
//!
//! The model is SQLite's: a value is NULL, a 64-bit integer, a double, a text or a blob, and
//! a flag is an integer 0/1. The PostgreSQL schema keeps to the same five kinds (BIGINT,
//! DOUBLE PRECISION, TEXT, BYTEA; see `migrations/postgres/`), so one conversion serves both.

/// One SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// A 64-bit integer (also a flag: 0 or 1).
    Integer(i64),
    /// A double.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// What can be bound as a parameter.
pub trait ToSql {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

/// What a column can be read as.
pub trait FromSql: Sized {
    /// Converts a column's value; the error says what did not fit.
    fn from_value(value: Value) -> Result<Self, String>;
}

impl ToSql for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToSql + ?Sized> ToSql for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToSql> ToSql for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToSql::to_value)
    }
}

impl ToSql for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }
}

impl ToSql for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToSql for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToSql for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl ToSql for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToSql for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

macro_rules! integer_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
integer_to_sql!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! wide_integer_to_sql {
    ($($t:ty),*) => {$(
        impl ToSql for $t {
            fn to_value(&self) -> Value {
                // As rusqlite does: a value beyond i64 is stored as its saturated i64.
                Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
            }
        }
    )*};
}
wide_integer_to_sql!(u64, usize);

impl FromSql for Value {
    fn from_value(value: Value) -> Result<Self, String> {
        Ok(value)
    }
}

impl<T: FromSql> FromSql for Option<T> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromSql for String {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}

impl FromSql for Vec<u8> {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Blob(b) => Ok(b),
            Value::Text(s) => Ok(s.into_bytes()),
            other => Err(format!("expected bytes, found {other:?}")),
        }
    }
}

impl FromSql for f64 {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Real(f) => Ok(f),
            #[allow(clippy::cast_precision_loss)]
            Value::Integer(i) => Ok(i as f64),
            other => Err(format!("expected a number, found {other:?}")),
        }
    }
}

impl FromSql for bool {
    fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Integer(i) => Ok(i != 0),
            other => Err(format!("expected a flag, found {other:?}")),
        }
    }
}

macro_rules! integer_from_sql {
    ($($t:ty),*) => {$(
        impl FromSql for $t {
            fn from_value(value: Value) -> Result<Self, String> {
                match value {
                    Value::Integer(i) => <$t>::try_from(i)
                        .map_err(|_| format!("{i} is out of range for {}", stringify!($t))),
                    other => Err(format!("expected an integer, found {other:?}")),
                }
            }
        }
    )*};
}
integer_from_sql!(i8, i16, i32, i64, u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_convert_both_ways_and_refuse_what_does_not_fit() {
        assert_eq!(Some(5_u32).to_value(), Value::Integer(5));
        assert_eq!(None::<String>.to_value(), Value::Null);
        assert_eq!(true.to_value(), Value::Integer(1));
        assert_eq!(u64::MAX.to_value(), Value::Integer(i64::MAX));
        assert_eq!(u16::from_value(Value::Integer(7)), Ok(7));
        assert!(u16::from_value(Value::Integer(70_000)).is_err());
        assert!(u32::from_value(Value::Integer(-1)).is_err());
        assert_eq!(Option::<i64>::from_value(Value::Null), Ok(None));
        assert!(String::from_value(Value::Integer(1)).is_err());
        assert_eq!(f64::from_value(Value::Integer(2)), Ok(2.0));
        assert_eq!(bool::from_value(Value::Integer(0)), Ok(false));
    }
}
