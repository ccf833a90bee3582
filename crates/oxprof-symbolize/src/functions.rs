//! Adding functions to a profile without duplicating the ones it already has.

use std::collections::HashMap;

use oxprof_profile::{Function, Profile};

/// The profile's functions by content, for reuse, and the next free id.
pub(crate) struct FunctionTable {
    ids: HashMap<Function, u64>,
    next_id: u64,
}

impl FunctionTable {
    /// Indexes the functions `profile` already has.
    pub(crate) fn new(profile: &Profile) -> Self {
        let ids = profile
            .function
            .iter()
            .map(|f| (Function { id: 0, ..f.clone() }, f.id))
            .collect();
        let next_id = profile.function.iter().map(|f| f.id).max().unwrap_or(0) + 1;
        FunctionTable { ids, next_id }
    }

    /// The id of the function with these fields, appending it to `functions` when new.
    pub(crate) fn intern(&mut self, functions: &mut Vec<Function>, key: Function) -> u64 {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.next_id;
        self.next_id += 1;
        functions.push(Function { id, ..key.clone() });
        self.ids.insert(key, id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_existing_and_numbers_new_functions_after_the_largest_id() {
        let mut profile = Profile::default();
        profile.function.push(Function {
            id: 7,
            name: "main".into(),
            ..Default::default()
        });
        let mut table = FunctionTable::new(&profile);
        let main = Function {
            name: "main".into(),
            ..Default::default()
        };
        let other = Function {
            name: "other".into(),
            ..Default::default()
        };
        assert_eq!(table.intern(&mut profile.function, main), 7);
        assert_eq!(table.intern(&mut profile.function, other.clone()), 8);
        assert_eq!(table.intern(&mut profile.function, other), 8);
        assert_eq!(profile.function.len(), 2);
    }
}
