//! Machine code of a [`Binary`] as text, decoded in-process with iced-x86: x86-64 in AT&T
//! syntax laid out as `objdump -d` lays it out (`mov    %rsp,%rbp`, branch targets named
//! `<function+0x12>`, RIP-relative operands followed by `# 0x4010 <function>`), or in Intel
//! syntax. Other architectures are refused with an error, never shown as wrong code.

use iced_x86::{
    Decoder, DecoderOptions, Formatter, GasFormatter, Instruction, IntelFormatter, Mnemonic,
};
use object::{Object as _, ObjectSection as _};

use crate::binary::{Binary, SourceFrame};
use crate::error::{Error, ErrorKind, Result};

/// Assembly syntax.
///
/// ```
/// assert_eq!(oxprof_symbolize::AsmSyntax::default(), oxprof_symbolize::AsmSyntax::Att);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AsmSyntax {
    /// AT&T, `objdump`'s default: `mov %rsp,%rbp`.
    #[default]
    Att,
    /// Intel: `mov rbp,rsp`.
    Intel,
}

/// One decoded instruction of a [`Binary`].
///
/// ```
/// let i = oxprof_symbolize::DecodedInstruction { address: 0x1000, length: 1, text: "ret".into(), frames: vec![] };
/// assert_eq!(i.length, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedInstruction {
    /// Object address.
    pub address: u64,
    /// Length in bytes.
    pub length: u64,
    /// The instruction as text.
    pub text: String,
    /// Source frames at the address, innermost first.
    pub frames: Vec<SourceFrame>,
}

/// Column where the first operand starts, as `objdump` aligns them.
const OPERAND_COLUMN: u32 = 7;

impl Binary {
    /// The instructions whose first byte lies in object addresses `start..end`, each with its
    /// source frames. Decoding starts at the function symbol containing `start`, so a range
    /// that begins inside an instruction still decodes on instruction boundaries.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Unsupported`] for code other than x86-64, and for addresses the file holds
    /// no bytes for (a debug-only file).
    ///
    /// ```
    /// use oxprof_profile::Mapping;
    /// #[inline(never)]
    /// fn answer() -> u64 { std::hint::black_box(42) }
    /// # let _ = answer();
    /// let exe = std::env::current_exe()?;
    /// let mapping = Mapping { id: 1, filename: exe.to_string_lossy().into(), ..Default::default() };
    /// let binary = oxprof_symbolize::Symbolizer::new().open_binary(&mapping, true)?;
    /// let f = binary.symbols().iter().find(|s| s.name.ends_with("::answer")).unwrap();
    /// # if cfg!(target_arch = "x86_64") {
    /// let code = binary.disassemble(f.start, f.end, oxprof_symbolize::AsmSyntax::Att)?;
    /// assert_eq!(code[0].address, f.start);
    /// assert!(code.iter().any(|i| i.text.starts_with("ret")), "{code:?}");
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn disassemble(
        &self,
        start: u64,
        end: u64,
        syntax: AsmSyntax,
    ) -> Result<Vec<DecodedInstruction>> {
        let unsupported = |what: String| {
            Error::new(ErrorKind::Unsupported {
                path: self.path().to_owned(),
                what,
            })
        };
        let file = object::File::parse(&*self.data).map_err(|e| unsupported(e.to_string()))?;
        if file.architecture() != object::Architecture::X86_64 {
            return Err(unsupported(format!(
                "disassembling {:?} code is not supported (only x86-64)",
                file.architecture()
            )));
        }
        let mut formatter = formatter(syntax);
        let mut instructions = Vec::new();
        let mut any_code = false;
        // Each code section the range overlaps, in address order (gaps hold no code).
        let mut sections: Vec<(u64, &[u8])> = file
            .sections()
            .filter(|s| s.kind() == object::SectionKind::Text)
            .filter(|s| s.address() < end && start < s.address() + s.size())
            .filter_map(|s| Some((s.address(), s.data().ok().filter(|d| !d.is_empty())?)))
            .collect();
        sections.sort_by_key(|(address, _)| *address);
        for (section_address, bytes) in sections {
            any_code = true;
            let first = start.max(section_address);
            // Decode from the start of the function holding `first`, on instruction boundaries.
            let decode_from = self
                .symbol_at(first)
                .map_or(first, |s| s.start.max(section_address));
            let offset = usize::try_from(decode_from - section_address).unwrap_or(usize::MAX);
            let bytes = bytes.get(offset..).unwrap_or_default();
            let mut decoder = Decoder::with_ip(64, bytes, decode_from, DecoderOptions::NONE);
            let mut instruction = Instruction::default();
            while decoder.can_decode() && decoder.ip() < end {
                decoder.decode_out(&mut instruction);
                if instruction.ip() < first {
                    continue;
                }
                instructions.push(DecodedInstruction {
                    address: instruction.ip(),
                    length: instruction.len() as u64,
                    text: self.text(&mut *formatter, &instruction),
                    frames: self.frames(instruction.ip()),
                });
            }
        }
        if !any_code {
            return Err(unsupported(format!(
                "no code between {start:#x} and {end:#x} in the file"
            )));
        }
        Ok(instructions)
    }

    fn text(&self, formatter: &mut dyn Formatter, instruction: &Instruction) -> String {
        if instruction.is_invalid() {
            return "(bad)".to_string();
        }
        let mut text = String::new();
        formatter.format(instruction, &mut text);
        let mut text = unsuffixed_branch(text);
        let target = instruction.near_branch_target();
        if target != 0 {
            if let Some(name) = self.symbol_offset(target) {
                text += &format!(" <{name}>");
            }
        } else if instruction.is_ip_rel_memory_operand() && instruction.mnemonic() != Mnemonic::Nop
        {
            let address = instruction.ip_rel_memory_address();
            text += &format!("  # {address:#x}");
            if let Some(name) = self.symbol_offset(address) {
                text += &format!(" <{name}>");
            }
        }
        text
    }

    /// `function` or `function+0x12` for an object address inside a function symbol.
    fn symbol_offset(&self, address: u64) -> Option<String> {
        let symbol = self.symbol_at(address)?;
        Some(match address - symbol.start {
            0 => symbol.name.clone(),
            offset => format!("{}+{offset:#x}", symbol.name),
        })
    }
}

/// objdump writes indirect branches through memory as `call *0x10(%rip)`; iced's AT&T
/// formatter adds the operand size (`callq`).
fn unsuffixed_branch(text: String) -> String {
    for (suffixed, plain) in [("callq ", "call  "), ("jmpq ", "jmp  ")] {
        if let Some(rest) = text.strip_prefix(suffixed) {
            return format!("{plain}{rest}");
        }
    }
    text
}

fn formatter(syntax: AsmSyntax) -> Box<dyn Formatter> {
    let mut formatter: Box<dyn Formatter> = match syntax {
        AsmSyntax::Att => Box::new(GasFormatter::new()),
        AsmSyntax::Intel => Box::new(IntelFormatter::new()),
    };
    let options = formatter.options_mut();
    options.set_first_operand_char_index(OPERAND_COLUMN);
    options.set_uppercase_hex(false);
    options.set_hex_prefix("0x");
    options.set_hex_suffix("");
    options.set_branch_leading_zeros(false);
    options.set_rip_relative_addresses(true);
    options.set_space_after_operand_separator(false);
    formatter
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(bytes: &[u8], syntax: AsmSyntax) -> String {
        let mut decoder = Decoder::with_ip(64, bytes, 0x1000, DecoderOptions::NONE);
        let mut out = String::new();
        formatter(syntax).format(&decoder.decode(), &mut out);
        out
    }

    #[test]
    fn att_is_laid_out_as_objdump_lays_it_out() {
        assert_eq!(
            format(&[0x48, 0x89, 0xe5], AsmSyntax::Att),
            "mov    %rsp,%rbp"
        );
        assert_eq!(format(&[0x55], AsmSyntax::Att), "push   %rbp");
        assert_eq!(format(&[0xc3], AsmSyntax::Att), "ret");
        assert_eq!(
            format(&[0x48, 0x8d, 0x3d, 0xe1, 0x2e, 0, 0], AsmSyntax::Att),
            "lea    0x2ee1(%rip),%rdi"
        );
    }

    #[test]
    fn indirect_calls_have_no_size_suffix() {
        let call = format(&[0xff, 0x15, 0xcc, 0xb7, 0x03, 0], AsmSyntax::Att);
        assert_eq!(unsuffixed_branch(call), "call   *0x3b7cc(%rip)");
        let jmp = format(&[0xff, 0x25, 0xcc, 0xb7, 0x03, 0], AsmSyntax::Att);
        assert_eq!(unsuffixed_branch(jmp), "jmp    *0x3b7cc(%rip)");
    }

    #[test]
    fn intel_syntax() {
        assert_eq!(
            format(&[0x48, 0x89, 0xe5], AsmSyntax::Intel),
            "mov    rbp,rsp"
        );
        assert_eq!(
            format(&[0x48, 0x8d, 0x3d, 0xe1, 0x2e, 0, 0], AsmSyntax::Intel),
            "lea    rdi,[rip+0x2ee1]"
        );
    }
}
