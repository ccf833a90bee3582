//! One location per unique frame: addresses get their mapping and nothing else (symbolization
//! comes later, once per location), synthetic frames get a function of their name.

use std::collections::HashMap;

use oxprof_profile::{Function, Line, Location};

use super::mappings::ProcessMappings;
use super::Frame;

/// Locations and the functions of synthetic frames, numbered 1..n in order of first use.
pub(super) struct LocationTable<'a> {
    mappings: &'a ProcessMappings,
    ids: HashMap<Frame, u64>,
    locations: Vec<Location>,
    functions: Vec<Function>,
}

impl<'a> LocationTable<'a> {
    pub(super) fn new(mappings: &'a ProcessMappings) -> Self {
        LocationTable {
            mappings,
            ids: HashMap::new(),
            locations: Vec::new(),
            functions: Vec::new(),
        }
    }

    /// The id of the location for `frame`, created on first use.
    pub(super) fn intern(&mut self, frame: Frame) -> u64 {
        if let Some(&id) = self.ids.get(&frame) {
            return id;
        }
        let id = self.locations.len() as u64 + 1;
        let location = match frame {
            Frame::Address(address) => Location {
                id,
                mapping_id: self.mappings.id_for(address),
                address,
                ..Location::default()
            },
            Frame::Synthetic(name) => {
                let function_id = self.functions.len() as u64 + 1;
                self.functions.push(Function {
                    id: function_id,
                    name: name.to_owned(),
                    system_name: name.to_owned(),
                    ..Function::default()
                });
                Location {
                    id,
                    line: vec![Line {
                        function_id,
                        ..Line::default()
                    }],
                    ..Location::default()
                }
            }
        };
        self.locations.push(location);
        self.ids.insert(frame, id);
        id
    }

    /// The locations and functions created.
    pub(super) fn finish(self) -> (Vec<Location>, Vec<Function>) {
        (self.locations, self.functions)
    }
}

#[cfg(test)]
mod tests {
    use super::super::maps::MapsEntry;
    use super::*;

    #[test]
    fn one_location_per_frame_with_mapping_and_synthetic_functions() {
        let entries = vec![MapsEntry {
            start: 0x1000,
            limit: 0x2000,
            file_offset: 0,
            path: "/app".into(),
        }];
        let mappings = ProcessMappings::new(entries, Some("/app"), &[]);
        let mut table = LocationTable::new(&mappings);
        let lost = Frame::Synthetic("oxprof::lost_samples");
        assert_eq!(table.intern(Frame::Address(0x1100)), 1);
        assert_eq!(table.intern(lost), 2);
        assert_eq!(table.intern(Frame::Address(0x9000)), 3);
        assert_eq!(table.intern(Frame::Address(0x1100)), 1);
        assert_eq!(table.intern(lost), 2);
        let (locations, functions) = table.finish();
        assert_eq!(locations.len(), 3);
        assert_eq!((locations[0].mapping_id, locations[0].address), (1, 0x1100));
        assert!(locations[0].line.is_empty());
        assert_eq!((locations[2].mapping_id, locations[2].address), (0, 0x9000));
        assert_eq!((locations[1].mapping_id, locations[1].address), (0, 0));
        assert_eq!(
            locations[1].line,
            [Line {
                function_id: 1,
                line: 0,
                column: 0
            }]
        );
        assert_eq!(
            functions,
            [Function {
                id: 1,
                name: "oxprof::lost_samples".into(),
                system_name: "oxprof::lost_samples".into(),
                ..Function::default()
            }]
        );
    }
}
