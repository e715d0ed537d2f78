//! Septet packing (3GPP TS 23.038 §6.1.2.1.1): septets are laid into octets least
//! significant bit first. When a user-data header precedes 7-bit text, the text starts on
//! the next septet boundary after the header, so `fill_bits` zero bits come first
//! (TS 23.040 §9.2.3.24).

/// Packs `septets` (values 0..=127) starting `fill_bits` (0..=6) bits into the output.
pub fn pack(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let total_bits = fill_bits as usize + 7 * septets.len();
    let mut out = vec![0u8; total_bits.div_ceil(8)];
    let mut bit = fill_bits as usize;
    for &septet in septets {
        let value = u16::from(septet & 0x7F) << (bit % 8);
        let byte = bit / 8;
        if let Some(o) = out.get_mut(byte) {
            *o |= value as u8;
        }
        if let Some(o) = out.get_mut(byte + 1) {
            *o |= (value >> 8) as u8;
        }
        bit += 7;
    }
    out
}

/// Unpacks up to `count` septets from `octets`, skipping `fill_bits` leading bits. Returns
/// fewer septets when the octets run out; callers check lengths against TP-UDL first.
pub fn unpack(octets: &[u8], fill_bits: u8, count: usize) -> Vec<u8> {
    let available = (octets.len() * 8).saturating_sub(fill_bits as usize) / 7;
    let count = count.min(available);
    let mut out = Vec::with_capacity(count);
    let mut bit = fill_bits as usize;
    for _ in 0..count {
        let byte = bit / 8;
        let low = u16::from(octets.get(byte).copied().unwrap_or(0));
        let high = u16::from(octets.get(byte + 1).copied().unwrap_or(0));
        out.push((((high << 8 | low) >> (bit % 8)) & 0x7F) as u8);
        bit += 7;
    }
    out
}

/// How many octets `septets` septets occupy after `fill_bits` fill bits.
pub fn packed_len(septets: usize, fill_bits: u8) -> usize {
    (fill_bits as usize + 7 * septets).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_the_spec_example_hellohello() {
        // "hellohello" is the classic example: E8329BFD4697D9EC37.
        let septets: Vec<u8> = "hellohello".bytes().collect();
        assert_eq!(hex::encode_upper(pack(&septets, 0)), "E8329BFD4697D9EC37");
        assert_eq!(unpack(&pack(&septets, 0), 0, 10), septets);
    }

    #[test]
    fn eight_septets_fill_exactly_seven_octets() {
        let septets = [0x7F; 8];
        assert_eq!(pack(&septets, 0), vec![0xFF; 7]);
    }

    #[test]
    fn fill_bits_shift_the_first_septet() {
        // After a 6-octet UDH one fill bit aligns the text on a septet boundary.
        let packed = pack(&[0x41], 1);
        assert_eq!(packed, vec![0x82]);
        assert_eq!(unpack(&packed, 1, 1), vec![0x41]);
    }

    #[test]
    fn unpack_stops_when_octets_run_out() {
        assert_eq!(unpack(&[0xFF], 0, 5).len(), 1);
        assert!(unpack(&[], 3, 5).is_empty());
    }
}
