//! Lipmaa links: the skiplinks that give Bamboo logs logarithmic-length
//! certificate paths between any two entries.

/// The sequence number the entry at `seq_num` links back to with its skiplink.
///
/// `lipmaa(1)` is 0 (the first entry has no links). For every other entry the
/// result is below `seq_num`; where it is `seq_num - 1` the skiplink equals the
/// backlink and is not encoded.
pub fn lipmaa(seq_num: u64) -> u64 {
    let n = u128::from(seq_num);
    // Find the smallest k with (3^k - 1) / 2 >= n.
    let mut power_of_three: u128 = 3;
    let mut m: u128 = 1;
    while m < n {
        power_of_three *= 3;
        m = (power_of_three - 1) / 2;
    }
    power_of_three /= 3;
    if m != n {
        // Take the longest jump back that lands on a certificate-pool entry.
        let mut rest = n;
        while rest != 0 {
            m = (power_of_three - 1) / 2;
            power_of_three /= 3;
            rest %= m;
        }
        if m != power_of_three {
            power_of_three = m;
        }
    }
    // Both values fit: the jump is at most `n`.
    (n - power_of_three) as u64
}

/// Whether the entry at `seq_num` (> 1) carries a skiplink besides its backlink.
pub fn is_skiplink_required(seq_num: u64) -> bool {
    seq_num > 1 && lipmaa(seq_num) != seq_num - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_bamboo_examples() {
        let expected = [
            (1, 0),
            (2, 1),
            (3, 2),
            (4, 1),
            (5, 4),
            (8, 4),
            (13, 4),
            (40, 13),
            (121, 40),
        ];
        for (seq_num, link) in expected {
            assert_eq!(lipmaa(seq_num), link, "lipmaa({seq_num})");
        }
    }

    #[test]
    fn never_overflows_at_the_end_of_the_range() {
        for seq_num in [u64::MAX, u64::MAX - 1, u64::MAX / 2, 1 << 63] {
            assert!(lipmaa(seq_num) < seq_num);
        }
    }
}
