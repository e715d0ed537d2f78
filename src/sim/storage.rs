//! A modem's message memories (TS 27.005 §3.2.2): `SM` on the SIM and `ME` in the module,
//! each a fixed number of slots indexed from 0 like those of Huawei and Quectel modems,
//! holding received SMS-DELIVER and SMS-STATUS-REPORT TPDUs with their read state.
//!
//! Pure data, no I/O; never imports `at/`, `modem/` or anything higher. Invariants: the
//! number of stored messages never exceeds a memory's capacity; a message keeps its index
//! until it is deleted; new messages take the lowest free index; the two memories are
//! apart — a message is in one of them, so a client that reads both (gammu does) sees it once.

/// `<stat>` of a stored message (TS 27.005 §3.1: 0 received unread, 1 received read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stat {
    /// REC UNREAD.
    Unread,
    /// REC READ.
    Read,
}

impl Stat {
    /// The PDU-mode number.
    pub(crate) fn code(self) -> u8 {
        match self {
            Stat::Unread => 0,
            Stat::Read => 1,
        }
    }

    /// The text-mode name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stat::Unread => "REC UNREAD",
            Stat::Read => "REC READ",
        }
    }
}

/// What a stored TPDU is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SMS-DELIVER (or whatever raw TPDU the network was told to deliver).
    Deliver,
    /// An SMS-STATUS-REPORT kept until read.
    StatusReport,
}

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub stat: Stat,
    pub kind: Kind,
    pub tpdu: Vec<u8>,
}

/// Which messages `+CMGL` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListFilter {
    Unread,
    Read,
    /// STO UNSENT / STO SENT: the simulator stores no outgoing messages.
    Sent,
    All,
}

/// A message memory a client can select with `+CPMS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Memory {
    /// The SIM's storage.
    Sm,
    /// The module's own storage.
    Me,
}

impl Memory {
    /// `"SM"` or `"ME"`, case-insensitive; `MT`, `SR`, `BM` are not simulated.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "SM" => Some(Self::Sm),
            "ME" => Some(Self::Me),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sm => "SM",
            Self::Me => "ME",
        }
    }
}

/// Both memories.
#[derive(Debug, Clone)]
pub(crate) struct Memories {
    sm: Storage,
    me: Storage,
}

impl Memories {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            sm: Storage::new(capacity),
            me: Storage::new(capacity),
        }
    }

    pub(crate) fn get(&self, memory: Memory) -> &Storage {
        match memory {
            Memory::Sm => &self.sm,
            Memory::Me => &self.me,
        }
    }

    pub(crate) fn get_mut(&mut self, memory: Memory) -> &mut Storage {
        match memory {
            Memory::Sm => &mut self.sm,
            Memory::Me => &mut self.me,
        }
    }

    /// Messages stored in either memory.
    pub(crate) fn used(&self) -> usize {
        self.sm.used() + self.me.used()
    }
}

/// One memory's slots.
#[derive(Debug, Clone)]
pub(crate) struct Storage {
    slots: Vec<Option<Stored>>,
}

/// The index is outside the storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadIndex;

impl Storage {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            slots: vec![None; capacity],
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn used(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    /// Stores `message` at the lowest free index; `None` when the storage is full.
    pub(crate) fn insert(&mut self, message: Stored) -> Option<usize> {
        let index = self.slots.iter().position(Option::is_none)?;
        let slot = self.slots.get_mut(index)?;
        *slot = Some(message);
        Some(index)
    }

    /// Reads a message and marks it read (`+CMGR`). `Ok(None)`: the slot is empty.
    pub(crate) fn read(&mut self, index: usize) -> Result<Option<(Stat, Stored)>, BadIndex> {
        let slot = self.slots.get_mut(index).ok_or(BadIndex)?;
        Ok(slot.as_mut().map(|m| {
            let before = m.stat;
            m.stat = Stat::Read;
            (before, m.clone())
        }))
    }

    /// Lists messages matching `filter` with the stat they had, and marks them read.
    pub(crate) fn list(&mut self, filter: ListFilter) -> Vec<(usize, Stat, Stored)> {
        let mut out = Vec::new();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(m) = slot.as_mut() else { continue };
            let matches = match filter {
                ListFilter::Unread => m.stat == Stat::Unread,
                ListFilter::Read => m.stat == Stat::Read,
                ListFilter::Sent => false,
                ListFilter::All => true,
            };
            if matches {
                let before = m.stat;
                m.stat = Stat::Read;
                out.push((index, before, m.clone()));
            }
        }
        out
    }

    /// Deletes one message (an empty slot is fine, as on real modems).
    pub(crate) fn delete(&mut self, index: usize) -> Result<(), BadIndex> {
        let slot = self.slots.get_mut(index).ok_or(BadIndex)?;
        *slot = None;
        Ok(())
    }

    /// `+CMGD` with `<delflag>` 1–4: 1 read, 2 and 3 read (no sent messages are kept), 4 all.
    pub(crate) fn delete_by_flag(&mut self, flag: u8) {
        for slot in &mut self.slots {
            let remove = match slot {
                Some(m) => flag >= 4 || m.stat == Stat::Read,
                None => false,
            };
            if remove {
                *slot = None;
            }
        }
    }

    /// Indices in use (for `+CMGD=?`).
    pub(crate) fn used_indices(&self) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|_| i))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(byte: u8) -> Stored {
        Stored {
            stat: Stat::Unread,
            kind: Kind::Deliver,
            tpdu: vec![byte],
        }
    }

    #[test]
    fn lowest_free_index_and_capacity() {
        let mut s = Storage::new(2);
        assert_eq!(s.insert(msg(1)), Some(0));
        assert_eq!(s.insert(msg(2)), Some(1));
        assert_eq!(s.insert(msg(3)), None);
        s.delete(0).unwrap();
        assert_eq!(s.insert(msg(4)), Some(0));
        assert_eq!(s.used(), 2);
        assert_eq!(s.delete(2), Err(BadIndex));
    }

    #[test]
    fn listing_marks_read_and_reports_previous_stat() {
        let mut s = Storage::new(3);
        s.insert(msg(1));
        s.insert(msg(2));
        let listed = s.list(ListFilter::Unread);
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().all(|(_, stat, _)| *stat == Stat::Unread));
        assert!(s.list(ListFilter::Unread).is_empty());
        assert_eq!(s.list(ListFilter::Read).len(), 2);
        assert!(s.list(ListFilter::Sent).is_empty());
    }

    #[test]
    fn memories_are_apart() {
        let mut m = Memories::new(2);
        assert_eq!(m.get_mut(Memory::Me).insert(msg(1)), Some(0));
        assert_eq!(m.get(Memory::Sm).used(), 0);
        assert_eq!(m.used(), 1);
        assert_eq!(Memory::parse("me"), Some(Memory::Me));
        assert_eq!(Memory::parse("MT"), None);
    }

    #[test]
    fn read_and_delete_flags() {
        let mut s = Storage::new(3);
        s.insert(msg(1));
        s.insert(msg(2));
        assert_eq!(s.read(0).unwrap().unwrap().0, Stat::Unread);
        assert_eq!(s.read(0).unwrap().unwrap().0, Stat::Read);
        assert_eq!(s.read(2).unwrap(), None);
        assert_eq!(s.read(3), Err(BadIndex));
        s.delete_by_flag(1);
        assert_eq!(s.used_indices(), vec![1]);
        s.delete_by_flag(4);
        assert_eq!(s.used(), 0);
    }
}
