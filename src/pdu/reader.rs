//! A bounds-checked cursor over PDU octets.
//!
//! Every decoder in `pdu/` reads through this type, which is why no malformed input can make
//! the codec index out of bounds: each read either returns the octets or a [`DecodeError`]
//! naming the field and the absolute octet offset where the input ran out.

use super::error::{DecodeError, DecodeErrorKind};

/// Reads octets front to back, remembering the absolute offset for error messages.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
    /// Offset of `input[0]` in the caller's whole PDU.
    base: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Self::with_base(input, 0)
    }

    /// A reader over a slice that starts `base` octets into the whole PDU.
    pub(crate) fn with_base(input: &'a [u8], base: usize) -> Self {
        Self {
            input,
            pos: 0,
            base,
        }
    }

    /// Absolute offset of the next octet to be read.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>(field)?;
        Ok(b)
    }

    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        match rest.get(..n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.error(
                field,
                DecodeErrorKind::Truncated {
                    needed: n - rest.len(),
                },
            )),
        }
    }

    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        self.pos = self.input.len();
        rest
    }

    /// An error at the current position.
    pub(crate) fn error(&self, field: &'static str, reason: DecodeErrorKind) -> DecodeError {
        DecodeError::new(field, self.offset(), reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_names_field_offset_and_shortfall() {
        let mut r = Reader::with_base(&[1, 2, 3], 10);
        assert_eq!(r.u8("a").unwrap(), 1);
        let err = r.take(4, "TP-UD").unwrap_err();
        assert_eq!(err.field, "TP-UD");
        assert_eq!(err.offset, 11);
        assert_eq!(err.reason, DecodeErrorKind::Truncated { needed: 2 });
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 2);
    }
}
