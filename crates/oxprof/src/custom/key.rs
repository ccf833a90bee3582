//! Keys of any type in one table, as Go's profiles take `interface{}` values: a key is boxed
//! with its type, and two keys are equal when they have the same type and compare equal.

use std::any::{Any, TypeId};
use std::hash::{Hash, Hasher};

/// A key of some `Hash + Eq` type, its type erased.
pub(super) trait Key: Any + Send {
    fn eq_key(&self, other: &dyn Key) -> bool;
    fn hash_key(&self, state: &mut dyn Hasher);
    fn as_any(&self) -> &dyn Any;
}

impl<K: Hash + Eq + Send + 'static> Key for K {
    fn eq_key(&self, other: &dyn Key) -> bool {
        other.as_any().downcast_ref::<K>() == Some(self)
    }

    fn hash_key(&self, mut state: &mut dyn Hasher) {
        // Equal values of different types are different keys; hashing the type keeps them
        // apart in the table too.
        TypeId::of::<K>().hash(&mut state);
        self.hash(&mut state);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl PartialEq for dyn Key {
    fn eq(&self, other: &dyn Key) -> bool {
        self.eq_key(other)
    }
}

impl Eq for dyn Key {}

impl Hash for dyn Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash_key(state);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::Key;

    #[test]
    fn keys_of_different_types_never_collide_and_borrowed_keys_find_boxed_ones() {
        let mut table: HashMap<Box<dyn Key>, &str> = HashMap::new();
        table.insert(Box::new(7usize), "usize");
        table.insert(Box::new(7u32), "u32");
        table.insert(Box::new(String::from("seven")), "string");
        assert_eq!(table.len(), 3);
        assert_eq!(table.get(&7usize as &dyn Key), Some(&"usize"));
        assert_eq!(table.get(&7u32 as &dyn Key), Some(&"u32"));
        assert_eq!(
            table.get(&String::from("seven") as &dyn Key),
            Some(&"string")
        );
        assert_eq!(table.get(&8usize as &dyn Key), None);
        assert_eq!(table.remove(&7u32 as &dyn Key), Some("u32"));
        assert_eq!(table.get(&7usize as &dyn Key), Some(&"usize"));
    }
}
