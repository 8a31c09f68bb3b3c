//! The rules the data alone does not enforce: clashes and capacity.
