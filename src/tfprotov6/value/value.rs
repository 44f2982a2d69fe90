//! Terraform values and arbitrary-precision numbers.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::BigDecimal;

use super::types::Type;

/// Largest accepted magnitude of a number's decimal scale (digits after the
/// point, or trailing zeros before it): numbers must lie within about
/// 1e-20000 ..= 1e20000 in magnitude. Terraform itself (cty) keeps 512 bits
/// of mantissa, so real values are far inside this; the bound keeps hostile
/// input such as `1e-999999999` from costing unbounded memory or time.
pub const MAX_NUMBER_SCALE: i64 = 20_000;

/// Longest decimal text accepted for a number.
pub const MAX_NUMBER_TEXT_LEN: usize = 50_000;

/// A Terraform value. Which variants are valid depends on the [`Type`] the
/// value is read or written with; [`Value::Null`] and [`Value::Unknown`] are
/// valid for every type.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A null value (an unset attribute).
    Null,
    /// A value not known until apply.
    Unknown,
    /// A `bool`.
    Bool(bool),
    /// A `number`.
    Number(Number),
    /// A `string`.
    String(String),
    /// A `list(T)`.
    List(Vec<Value>),
    /// A `set(T)`. Elements keep the order they were decoded or built in.
    Set(Vec<Value>),
    /// A `map(T)`.
    Map(BTreeMap<String, Value>),
    /// An `object({..})`. Decoded objects carry every attribute of their type
    /// (missing ones as [`Value::Null`]); when encoding, a missing attribute
    /// is written as null.
    Object(BTreeMap<String, Value>),
    /// A `tuple([..])`.
    Tuple(Vec<Value>),
    /// A value whose schema type is the dynamic pseudo-type: carries its concrete type.
    Dynamic {
        /// The concrete type of `value`.
        ty: Type,
        /// The value, of type `ty`.
        value: Box<Value>,
    },
}

/// The null value, to lend out by reference.
pub(crate) static NULL: Value = Value::Null;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A bool value.
    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A list value.
    pub fn list(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::List(elements.into_iter().collect())
    }

    /// A set value.
    pub fn set(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Set(elements.into_iter().collect())
    }

    /// A tuple value.
    pub fn tuple(elements: impl IntoIterator<Item = Value>) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    /// A map value.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An object value.
    pub fn object<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A value of concrete type `ty` in a dynamically-typed position.
    pub fn dynamic(ty: Type, value: Value) -> Value {
        Value::Dynamic {
            ty,
            value: Box::new(value),
        }
    }

    /// The value itself, or for [`Value::Dynamic`] the wrapped value
    /// (repeatedly, if wrappers nest).
    pub fn unwrap_dynamic(&self) -> &Value {
        let mut v = self;
        while let Value::Dynamic { value, .. } = v {
            v = value;
        }
        v
    }

    /// Whether the value is null (looking through dynamic wrappers).
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_dynamic(), Value::Null)
    }

    /// Whether the value itself is known (not [`Value::Unknown`]); nested
    /// values may still be unknown.
    pub fn is_known(&self) -> bool {
        !matches!(self.unwrap_dynamic(), Value::Unknown)
    }

    /// Whether neither the value nor anything nested in it is unknown.
    pub fn is_fully_known(&self) -> bool {
        match self.unwrap_dynamic() {
            Value::Unknown => false,
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => {
                vs.iter().all(Value::is_fully_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_fully_known),
            _ => true,
        }
    }

    /// An attribute of an object value; `None` if this is not an object or
    /// has no such attribute.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        match self.unwrap_dynamic() {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self.unwrap_dynamic() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A bool value's bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_dynamic() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A number value's number.
    pub fn as_number(&self) -> Option<&Number> {
        match self.unwrap_dynamic() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements of a list, set or tuple value.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self.unwrap_dynamic() {
            Value::List(vs) | Value::Set(vs) | Value::Tuple(vs) => Some(vs),
            _ => None,
        }
    }

    /// The entries of a map or object value.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.unwrap_dynamic() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// A short name for what this value is, for error messages: `null`,
    /// `unknown`, `bool`, `number`, `string`, `list`, `set`, `map`,
    /// `object` or `tuple` (dynamic wrappers are looked through).
    pub fn kind_name(&self) -> &'static str {
        match self.unwrap_dynamic() {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            // unwrap_dynamic never returns a wrapper.
            Value::Dynamic { .. } => "dynamic",
        }
    }

    /// The type this value implies on its own, used when a value that is not
    /// a [`Value::Dynamic`] must be written where the schema says `dynamic`.
    ///
    /// Null and unknown imply `dynamic`; a list, set or map implies the one
    /// type its non-null, known elements share (`dynamic` if there are
    /// none); `None` if elements disagree.
    pub fn implied_type(&self) -> Option<Type> {
        match self {
            Value::Null | Value::Unknown => Some(Type::Dynamic),
            Value::Bool(_) => Some(Type::Bool),
            Value::Number(_) => Some(Type::Number),
            Value::String(_) => Some(Type::String),
            Value::Dynamic { ty, .. } => Some(ty.clone()),
            Value::List(vs) => Some(Type::list(common_type(vs.iter())?)),
            Value::Set(vs) => Some(Type::set(common_type(vs.iter())?)),
            Value::Map(m) => Some(Type::map(common_type(m.values())?)),
            Value::Tuple(vs) => vs
                .iter()
                .map(Value::implied_type)
                .collect::<Option<Vec<_>>>()
                .map(Type::Tuple),
            Value::Object(m) => {
                let mut attributes = BTreeMap::new();
                for (k, v) in m {
                    attributes.insert(k.clone(), v.implied_type()?);
                }
                Some(Type::Object {
                    attributes,
                    optional: Default::default(),
                })
            }
        }
    }
}

fn common_type<'a>(values: impl Iterator<Item = &'a Value>) -> Option<Type> {
    let mut common: Option<Type> = None;
    for v in values {
        let t = v.implied_type()?;
        if t == Type::Dynamic {
            continue;
        }
        match &common {
            None => common = Some(t),
            Some(c) if *c == t => {}
            Some(_) => return None,
        }
    }
    Some(common.unwrap_or(Type::Dynamic))
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Number(Number::from_i64(n))
    }
}

/// Arbitrary-precision decimal (never truncates). Wraps bigdecimal::BigDecimal.
///
/// Always kept normalized (no trailing zeros in the digits), and within
/// [`MAX_NUMBER_SCALE`]. Infinities and NaN are not numbers here.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(BigDecimal);

/// An error making a [`Number`].
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    /// The text is not a decimal number.
    #[error("invalid number syntax {0:?}")]
    Syntax(String),
    /// The number is too large, too small or too long to accept.
    #[error("number out of the supported range")]
    OutOfRange,
    /// Infinity or NaN.
    #[error("number is not finite")]
    NotFinite,
}

impl Number {
    /// The number `n`.
    pub fn from_i64(n: i64) -> Self {
        Number(BigDecimal::from(n)).normalize_trusted()
    }

    /// The number `n`.
    pub fn from_u64(n: u64) -> Self {
        Number(BigDecimal::from(n)).normalize_trusted()
    }

    /// The exact value of `f` (every finite `f64` is a finite decimal);
    /// `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Self> {
        if !f.is_finite() {
            return None;
        }
        let bits = f.to_bits();
        let negative = bits >> 63 == 1;
        let biased_exp = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, exp) = if biased_exp == 0 {
            (fraction, -1074i64)
        } else {
            (fraction | (1u64 << 52), biased_exp - 1075)
        };
        // value = mantissa * 2^exp
        let mut int = BigInt::from(mantissa);
        let scale = if exp >= 0 {
            int <<= exp as usize;
            0
        } else {
            // m * 2^-k == m * 5^k / 10^k
            let k = (-exp) as u32;
            int *= BigInt::from(5u8).pow(k);
            i64::from(k)
        };
        if negative {
            int = -int;
        }
        Some(Number(BigDecimal::new(int, scale)).normalize_trusted())
    }

    /// Wraps a decimal, normalizing it; fails if it is out of range.
    pub fn from_bigdecimal(d: BigDecimal) -> Result<Self, NumberError> {
        let n = Number(d.normalized());
        n.check_range()?;
        Ok(n)
    }

    /// The wrapped decimal.
    pub fn as_bigdecimal(&self) -> &BigDecimal {
        &self.0
    }

    /// Whether the number has no fractional part.
    pub fn is_integer(&self) -> bool {
        // Normalized: a positive scale means a non-zero fractional digit.
        self.0.as_bigint_and_scale().1 <= 0
    }

    /// The number as an `i64`, if it is an integer in range.
    pub fn to_i64(&self) -> Option<i64> {
        i64::try_from(&self.to_bigint()?).ok()
    }

    /// The number as a `u64`, if it is a non-negative integer in range.
    pub fn to_u64(&self) -> Option<u64> {
        u64::try_from(&self.to_bigint()?).ok()
    }

    /// The nearest `f64`; `None` if the magnitude is beyond `f64`'s range.
    pub fn to_f64(&self) -> Option<f64> {
        let f: f64 = self.to_string().parse().ok()?;
        f.is_finite().then_some(f)
    }

    /// The `f64` equal to this number, if there is one.
    pub fn to_f64_exact(&self) -> Option<f64> {
        let f = self.to_f64()?;
        (Number::from_f64(f)? == *self).then_some(f)
    }

    /// The integer value, if integral and no wider than about 20 digits
    /// (enough to decide whether it fits 64 bits).
    fn to_bigint(&self) -> Option<BigInt> {
        let (int, scale) = self.0.as_bigint_and_scale();
        if !(-20..=0).contains(&scale) {
            return None;
        }
        let mut int = int.into_owned();
        if scale < 0 {
            int *= BigInt::from(10u8).pow((-scale) as u32);
        }
        Some(int)
    }

    /// Normalizes a value known to be in range (built from machine numbers).
    fn normalize_trusted(self) -> Self {
        Number(self.0.normalized())
    }

    fn check_range(&self) -> Result<(), NumberError> {
        let scale = self.0.as_bigint_and_scale().1;
        if scale.unsigned_abs() > MAX_NUMBER_SCALE.unsigned_abs() {
            return Err(NumberError::OutOfRange);
        }
        Ok(())
    }
}

impl FromStr for Number {
    type Err = NumberError;

    /// Parses decimal text: an optional sign, digits with an optional
    /// decimal point, and an optional exponent (`1`, `-2.5`, `.5`, `1e400`,
    /// `6.02E+23`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let syntax = || NumberError::Syntax(truncate_for_message(s));
        if s.len() > MAX_NUMBER_TEXT_LEN {
            return Err(NumberError::OutOfRange);
        }
        let bytes = s.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let int_start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let int_digits = &s[int_start..i];
        let mut frac_digits = "";
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            let frac_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            frac_digits = &s[frac_start..i];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return Err(syntax());
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
            i += 1;
            let exp_start = i;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                i += 1;
            }
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == digits_start {
                return Err(syntax());
            }
            exponent = s[exp_start..i]
                .parse()
                .map_err(|_| NumberError::OutOfRange)?;
        }
        if i != bytes.len() {
            return Err(syntax());
        }
        let mut digits = String::with_capacity(int_digits.len() + frac_digits.len());
        digits.push_str(int_digits);
        digits.push_str(frac_digits);
        let magnitude = BigInt::parse_bytes(digits.as_bytes(), 10).ok_or_else(syntax)?;
        let int = if negative { -magnitude } else { magnitude };
        let frac_len = i64::try_from(frac_digits.len()).map_err(|_| NumberError::OutOfRange)?;
        let scale = frac_len
            .checked_sub(exponent)
            .ok_or(NumberError::OutOfRange)?;
        let n = Number(BigDecimal::new(int, scale).normalized());
        n.check_range()?;
        Ok(n)
    }
}

fn truncate_for_message(s: &str) -> String {
    const MAX: usize = 40;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Plain decimal notation, never an exponent: `1000`, `-0.25`,
/// `100000000000000000000` (as cty writes numbers).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (int, scale) = self.0.as_bigint_and_scale();
        if int.sign() == Sign::NoSign {
            return f.write_str("0");
        }
        if int.sign() == Sign::Minus {
            f.write_str("-")?;
        }
        let digits = int.magnitude().to_str_radix(10);
        if scale <= 0 {
            f.write_str(&digits)?;
            for _ in 0..scale.unsigned_abs() {
                f.write_str("0")?;
            }
            return Ok(());
        }
        let scale = usize::try_from(scale).map_err(|_| fmt::Error)?;
        if digits.len() > scale {
            let (whole, frac) = digits.split_at(digits.len() - scale);
            write!(f, "{whole}.{frac}")
        } else {
            f.write_str("0.")?;
            for _ in 0..scale - digits.len() {
                f.write_str("0")?;
            }
            f.write_str(&digits)
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl From<i64> for Number {
    fn from(n: i64) -> Self {
        Number::from_i64(n)
    }
}

impl From<i32> for Number {
    fn from(n: i32) -> Self {
        Number::from_i64(n.into())
    }
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number::from_u64(n)
    }
}

impl From<u32> for Number {
    fn from(n: u32) -> Self {
        Number::from_u64(n.into())
    }
}

impl TryFrom<f64> for Number {
    type Error = NumberError;

    fn try_from(f: f64) -> Result<Self, Self::Error> {
        Number::from_f64(f).ok_or(NumberError::NotFinite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        s.parse().unwrap()
    }

    #[test]
    fn parse_and_print_plain() {
        for (input, plain) in [
            ("0", "0"),
            ("-0", "0"),
            ("0.000", "0"),
            ("1", "1"),
            ("+7", "7"),
            ("-1.50", "-1.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e3", "1000"),
            ("1E+3", "1000"),
            ("25e-3", "0.025"),
            ("-1.25e-5", "-0.0000125"),
            ("12345678901234567890123", "12345678901234567890123"),
            (
                "0.1000000000000000000000000001",
                "0.1000000000000000000000000001",
            ),
        ] {
            assert_eq!(n(input).to_string(), plain, "{input}");
        }
        let big = n("1e400").to_string();
        assert_eq!(big.len(), 401);
        assert!(big.starts_with('1') && big[1..].bytes().all(|b| b == b'0'));
        assert_eq!(n(&big), n("1e400"));
    }

    #[test]
    fn invalid_text() {
        for bad in [
            "", "-", ".", "e5", "1e", "1e+", "1.2.3", "0x10", "1_000", " 1", "1 ", "inf", "NaN",
            "--1",
        ] {
            assert!(
                matches!(bad.parse::<Number>(), Err(NumberError::Syntax(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn hostile_exponents_are_rejected_quickly() {
        for bad in [
            "1e-999999999",
            "1e999999999",
            "1e99999999999999999999999",
            "1e-9223372036854775808",
        ] {
            assert_eq!(bad.parse::<Number>(), Err(NumberError::OutOfRange), "{bad}");
        }
        // Zero with any reasonable exponent is still zero.
        assert_eq!(n("0e-999999"), Number::from_i64(0));
        assert!("9"
            .repeat(MAX_NUMBER_TEXT_LEN + 1)
            .parse::<Number>()
            .is_err());
    }

    #[test]
    fn equality_is_numeric() {
        assert_eq!(n("1.0"), n("1"));
        assert_eq!(n("100"), n("1e2"));
        assert!(n("1.5") < n("2"));
        assert!(n("-3") < n("-2.5"));
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let h = |x: &Number| {
            let mut s = DefaultHasher::new();
            x.hash(&mut s);
            s.finish()
        };
        assert_eq!(h(&n("1.000")), h(&n("1")));
    }

    #[test]
    fn integer_conversions() {
        assert_eq!(n("9223372036854775807").to_i64(), Some(i64::MAX));
        assert_eq!(n("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").to_i64(), None);
        assert_eq!(n("9223372036854775808").to_u64(), Some(1 << 63));
        assert_eq!(n("18446744073709551615").to_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551616").to_u64(), None);
        assert_eq!(n("-1").to_u64(), None);
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("1e30").to_i64(), None);
        assert_eq!(n("1e18").to_i64(), Some(1_000_000_000_000_000_000));
        assert!(n("1e18").is_integer());
        assert!(!n("0.5").is_integer());
    }

    #[test]
    fn f64_conversions_are_exact() {
        assert_eq!(Number::from_f64(1.5).unwrap(), n("1.5"));
        assert_eq!(
            Number::from_f64(0.1).unwrap(),
            n("0.1000000000000000055511151231257827021181583404541015625")
        );
        assert_eq!(Number::from_f64(-0.0).unwrap(), n("0"));
        assert_eq!(
            Number::from_f64(2f64.powi(63)).unwrap(),
            n("9223372036854775808")
        );
        assert!(Number::from_f64(f64::NAN).is_none());
        assert!(Number::from_f64(f64::INFINITY).is_none());
        let tiny = Number::from_f64(f64::from_bits(1)).unwrap();
        assert_eq!(tiny.to_f64(), Some(f64::from_bits(1)));
        let max = Number::from_f64(f64::MAX).unwrap();
        assert_eq!(max.to_f64_exact(), Some(f64::MAX));
        assert_eq!(n("0.1").to_f64(), Some(0.1));
        assert_eq!(n("0.1").to_f64_exact(), None);
        assert_eq!(n("1e400").to_f64(), None);
        assert_eq!(n("0.75").to_f64_exact(), Some(0.75));
    }

    #[test]
    fn implied_types() {
        assert_eq!(Value::string("x").implied_type(), Some(Type::String));
        assert_eq!(
            Value::list([Value::Null, Value::string("a")]).implied_type(),
            Some(Type::list(Type::String))
        );
        assert_eq!(
            Value::list([]).implied_type(),
            Some(Type::list(Type::Dynamic))
        );
        assert_eq!(
            Value::list([Value::string("a"), Value::bool(true)]).implied_type(),
            None
        );
        assert_eq!(
            Value::object([("a", Value::from(1)), ("b", Value::Unknown)]).implied_type(),
            Some(Type::object([("a", Type::Number), ("b", Type::Dynamic)]))
        );
    }

    #[test]
    fn predicates_look_through_dynamic() {
        let v = Value::dynamic(Type::String, Value::Null);
        assert!(v.is_null());
        let v = Value::dynamic(Type::String, Value::Unknown);
        assert!(!v.is_known());
        let v = Value::object([("a", Value::list([Value::Unknown]))]);
        assert!(v.is_known());
        assert!(!v.is_fully_known());
        assert_eq!(v.get_attr("a").map(Value::kind_name), Some("list"));
        assert!(v.get_attr("b").is_none());
    }
}
