//! Finds `.eh_frame` from `.eh_frame_hdr`, the only unwind section a loaded ELF object points at
//! from its program headers (`PT_GNU_EH_FRAME`). The header starts with a pointer to
//! `.eh_frame`, in a DWARF pointer encoding of its own (LSB core spec, "Exception Frames").

/// `DW_EH_PE_omit`: no value.
const OMIT: u8 = 0xff;
/// Application bits: the value is relative to the address it is stored at.
const PCREL: u8 = 0x10;
/// Application bits: the value is relative to the start of `.eh_frame_hdr`.
const DATAREL: u8 = 0x30;

/// The address of `.eh_frame` in this process, from the `.eh_frame_hdr` bytes mapped at
/// `hdr_address` in an object loaded `bias` bytes away from its link-time addresses. `None` for
/// an unknown version or encoding.
pub(super) fn eh_frame_address(hdr: &[u8], hdr_address: u64, bias: u64) -> Option<u64> {
    let [version, encoding, _fde_count_encoding, _table_encoding, rest @ ..] = hdr else {
        return None;
    };
    if *version != 1 || *encoding == OMIT {
        return None;
    }
    let value = read_encoded(rest, *encoding & 0x0f)?;
    let field_address = hdr_address.checked_add(4)?;
    // Indirect pointers (0x80) are not used for this field by any linker; reject them.
    match *encoding & 0xf0 {
        0 => Some(value.wrapping_add(bias)),
        PCREL => Some(field_address.wrapping_add(value)),
        DATAREL => Some(hdr_address.wrapping_add(value)),
        _ => None,
    }
}

/// Reads a value in the format given by the low four bits of a pointer encoding, sign-extended
/// to wrap correctly when added to an address.
fn read_encoded(bytes: &[u8], format: u8) -> Option<u64> {
    fn take<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
        bytes.get(..N)?.try_into().ok()
    }
    Some(match format {
        // DW_EH_PE_absptr and udata8/sdata8: all 64-bit here.
        0x00 | 0x04 | 0x0c => u64::from_le_bytes(take(bytes)?),
        0x02 => u64::from(u16::from_le_bytes(take(bytes)?)),
        0x03 => u64::from(u32::from_le_bytes(take(bytes)?)),
        0x0a => i16::from_le_bytes(take(bytes)?) as i64 as u64,
        0x0b => i32::from_le_bytes(take(bytes)?) as i64 as u64,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(encoding: u8, pointer: &[u8]) -> Vec<u8> {
        let mut hdr = vec![1, encoding, 0x03, 0x3b];
        hdr.extend_from_slice(pointer);
        hdr
    }

    #[test]
    fn pcrel_sdata4_is_relative_to_the_pointer_field() {
        // What GNU ld and lld emit: .eh_frame usually follows .eh_frame_hdr.
        let hdr = header(0x1b, &0x1234i32.to_le_bytes());
        assert_eq!(
            eh_frame_address(&hdr, 0x10_0000, 0x5000),
            Some(0x10_0004 + 0x1234)
        );
        let hdr = header(0x1b, &(-0x40i32).to_le_bytes());
        assert_eq!(eh_frame_address(&hdr, 0x10_0000, 0), Some(0x10_0004 - 0x40));
    }

    #[test]
    fn datarel_is_relative_to_the_header() {
        let hdr = header(0x3b, &0x800i32.to_le_bytes());
        assert_eq!(eh_frame_address(&hdr, 0x10_0000, 0), Some(0x10_0800));
    }

    #[test]
    fn absolute_addresses_move_with_the_load_bias() {
        let hdr = header(0x04, &0x40_2000u64.to_le_bytes());
        assert_eq!(
            eh_frame_address(&hdr, 0x10_0000, 0x7f00_0000_0000),
            Some(0x7f00_0040_2000)
        );
        let hdr = header(0x03, &0x40_2000u32.to_le_bytes());
        assert_eq!(eh_frame_address(&hdr, 0x10_0000, 0), Some(0x40_2000));
    }

    #[test]
    fn rejects_unknown_versions_encodings_and_short_headers() {
        let mut hdr = header(0x1b, &4i32.to_le_bytes());
        hdr[0] = 2;
        assert_eq!(eh_frame_address(&hdr, 0x1000, 0), None);
        assert_eq!(eh_frame_address(&header(OMIT, &[0; 8]), 0x1000, 0), None);
        assert_eq!(eh_frame_address(&header(0x01, &[4]), 0x1000, 0), None); // uleb128
        assert_eq!(eh_frame_address(&header(0x1b, &[4, 0]), 0x1000, 0), None);
        assert_eq!(eh_frame_address(&[1, 0x1b], 0x1000, 0), None);
    }
}
