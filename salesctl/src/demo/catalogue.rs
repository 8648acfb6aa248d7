//! Reference data: products, sales reps, customers and their habits.

use super::*;

#[derive(Serialize)]
pub(super) struct Product {
    pub(super) sku: &'static str,
    pub(super) name: &'static str,
    pub(super) category: Option<&'static str>,
    #[serde(skip)]
    pub(super) price_cents: i64,
    /// How often it is ordered.
    #[serde(skip)]
    pub(super) popularity: u32,
}

pub(super) const fn product(
    sku: &'static str,
    name: &'static str,
    category: Option<&'static str>,
    price_cents: i64,
    popularity: u32,
) -> Product {
    Product { sku, name, category, price_cents, popularity }
}

pub(super) const HARDWARE: Option<&str> = Some("Hardware");
pub(super) const NETWORKING: Option<&str> = Some("Networking");
pub(super) const SOFTWARE: Option<&str> = Some("Software");
pub(super) const SERVICES: Option<&str> = Some("Services");
pub(super) const SUPPLIES: Option<&str> = Some("Supplies");

pub(super) const PRODUCTS: [Product; 25] = [
    product("HW-LAP-14", "ProBook 14 Laptop", HARDWARE, 124_900, 8),
    product("HW-LAP-16", "ProBook 16 Workstation", HARDWARE, 239_900, 4),
    product("HW-MON-27", "27-inch 4K Monitor", HARDWARE, 44_900, 9),
    product("HW-DOCK-01", "USB-C Docking Station", HARDWARE, 22_900, 8),
    product("HW-SRV-R2", "Rack Server R2", HARDWARE, 489_900, 1),
    product("HW-KB-01", "Wireless Keyboard", HARDWARE, 5_900, 10),
    product("HW-MS-01", "Ergonomic Mouse", HARDWARE, 3_900, 10),
    product("HW-HS-01", "Noise-Cancelling Headset", HARDWARE, 17_900, 7),
    product("NET-SW-24", "24-Port Managed Switch", NETWORKING, 68_900, 4),
    product("NET-AP-6", "Wi-Fi 6 Access Point", NETWORKING, 24_900, 6),
    product("NET-FW-100", "Firewall Appliance 100", NETWORKING, 179_900, 2),
    product("NET-CAB-50", "Cat6 Patch Cables (50 pack)", NETWORKING, 8_900, 7),
    product("SW-OFF-Y", "Office Suite (annual seat)", SOFTWARE, 14_900, 9),
    product("SW-SEC-Y", "Endpoint Security (annual seat)", SOFTWARE, 6_900, 8),
    product("SW-BKP-Y", "Cloud Backup 1 TB (annual)", SOFTWARE, 29_900, 5),
    product("SW-CRM-Y", "CRM Professional (annual seat)", SOFTWARE, 78_000, 3),
    product("SVC-INST", "On-site Installation", SERVICES, 95_000, 3),
    product("SVC-TRN-D", "Training Day", SERVICES, 140_000, 2),
    product("SVC-SUP-Y", "Premium Support (annual)", SERVICES, 250_000, 2),
    product("SVC-CONS-H", "Consulting Hour", SERVICES, 17_500, 5),
    product("SUP-TON-BK", "Toner Cartridge Black", SUPPLIES, 8_999, 9),
    product("SUP-PAP-10", "Copy Paper (10 reams)", SUPPLIES, 5_450, 9),
    product("SUP-LBL-1K", "Shipping Labels (1000)", SUPPLIES, 2_499, 6),
    product("GFT-CARD-100", "Gift Card $100", None, 10_000, 2),
    product("MISC-RUSH", "Rush Handling Fee", None, 3_500, 3),
];

#[derive(Serialize)]
pub(super) struct SalesRep {
    pub(super) name: &'static str,
    pub(super) email: &'static str,
    /// Share of the customer accounts they own.
    #[serde(skip)]
    pub(super) accounts: u32,
}

pub(super) const SALES_REPS: [SalesRep; 6] = [
    SalesRep { name: "Maria Gonzalez", email: "maria.gonzalez@example.com", accounts: 25 },
    SalesRep { name: "James Carter", email: "james.carter@example.com", accounts: 20 },
    SalesRep { name: "Aisha Patel", email: "aisha.patel@example.com", accounts: 18 },
    SalesRep { name: "Tom Becker", email: "tom.becker@example.com", accounts: 15 },
    SalesRep { name: "Lena Novak", email: "lena.novak@example.com", accounts: 12 },
    SalesRep { name: "David Kim", email: "david.kim@example.com", accounts: 10 },
];

pub(super) const CUSTOMERS: usize = 120;
pub(super) const FIRST_WORDS: [&str; 16] = [
    "Acme",
    "Blue Ridge",
    "Summit",
    "Harbor",
    "Pioneer",
    "Cedar",
    "Granite",
    "Silverline",
    "Northwind",
    "Redwood",
    "Lakeside",
    "Ironclad",
    "Evergreen",
    "Bright Path",
    "Keystone",
    "Maple Leaf",
];
pub(super) const SECOND_WORDS: [&str; 10] = [
    "Logistics",
    "Manufacturing",
    "Dental",
    "Foods",
    "Architects",
    "Consulting",
    "Health",
    "Retail",
    "Engineering",
    "Media",
];
pub(super) const LEGAL_FORMS: [(&str, u32); 4] =
    [("Inc.", 40), ("LLC", 30), ("Corp.", 10), ("", 20)];
pub(super) const MAILBOXES: [&str; 4] = ["accounts", "billing", "ap", "finance"];

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Tier {
    Key,
    Regular,
    Small,
}

/// How a customer pays its invoices.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Habit {
    Early,
    OnTime,
    Late,
    Delinquent,
}

pub(super) const TIERS: [(Tier, u32); 3] =
    [(Tier::Key, 10), (Tier::Regular, 30), (Tier::Small, 60)];
pub(super) const HABITS: [(Habit, u32); 4] =
    [(Habit::Early, 45), (Habit::OnTime, 35), (Habit::Late, 15), (Habit::Delinquent, 5)];
pub(super) const METHODS: [(PaymentMethod, u32); 5] = [
    (PaymentMethod::CreditCard, 40),
    (PaymentMethod::BankTransfer, 30),
    (PaymentMethod::Paypal, 12),
    (PaymentMethod::Check, 13),
    (PaymentMethod::Cash, 5),
];

/// How a customer buys and pays (not part of the record).
pub(super) struct Profile {
    /// Relative number of orders.
    pub(super) weight: u32,
    /// Quantities are multiplied by this.
    pub(super) volume: i64,
    /// Index of the account owner in `SALES_REPS`.
    pub(super) rep: usize,
    pub(super) terms_days: i64,
    pub(super) habit: Habit,
    pub(super) method: PaymentMethod,
}

#[derive(Serialize)]
pub(super) struct Customer {
    pub(super) customer_number: String,
    pub(super) company_name: String,
    pub(super) email: String,
    #[serde(serialize_with = "json::timestamp")]
    pub(super) created_at: Ts,
    #[serde(serialize_with = "json::money_option")]
    pub(super) credit_limit: Option<Decimal>,
    #[serde(skip)]
    pub(super) profile: Profile,
}

/// 120 customers numbered in the order they were created; two in five
/// existed before the history starts, the others join during it.
pub(super) fn customers(rng: &mut ChaCha8Rng, clock: &Clock) -> Vec<Customer> {
    let names = index::sample(rng, FIRST_WORDS.len() * SECOND_WORDS.len(), CUSTOMERS);
    let mut list: Vec<Customer> =
        names.iter().enumerate().map(|(i, name)| new_customer(rng, clock, i, name)).collect();
    list.sort_by_key(|c| c.created_at);
    for (i, customer) in list.iter_mut().enumerate() {
        customer.customer_number = format!("CUST-{:05}", i + 1);
    }
    list
}

pub(super) fn new_customer(
    rng: &mut ChaCha8Rng,
    clock: &Clock,
    position: usize,
    name: usize,
) -> Customer {
    let first = FIRST_WORDS[name % FIRST_WORDS.len()];
    let second = SECOND_WORDS[name / FIRST_WORDS.len()];
    let legal = pick(rng, &LEGAL_FORMS);
    let company_name = if legal.is_empty() {
        format!("{first} {second}")
    } else {
        format!("{first} {second} {legal}")
    };
    let domain: String = format!("{first}{second}")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let email = format!("{}@{domain}.example", MAILBOXES[rng.random_range(0..MAILBOXES.len())]);
    let created_day = if position < CUSTOMERS * 2 / 5 {
        clock.start - days(rng.random_range(1..=900))
    } else {
        clock.start + days(rng.random_range(0..=(clock.today - clock.start).num_days()))
    };
    let created_at = business_time(rng, created_day).min(clock.end);
    let tier = pick(rng, &TIERS);
    let credit_limit = credit_limit(rng, tier);
    let profile = new_profile(rng, tier);
    Customer {
        customer_number: String::new(),
        company_name,
        email,
        created_at,
        credit_limit,
        profile,
    }
}

/// A customer's credit limit by tier; 15 % have none.
pub(super) fn credit_limit(rng: &mut ChaCha8Rng, tier: Tier) -> Option<Decimal> {
    let limit_dollars = match tier {
        Tier::Key => pick(rng, &[(100_000, 60), (150_000, 40)]),
        Tier::Regular => pick(rng, &[(25_000, 60), (40_000, 40)]),
        Tier::Small => pick(rng, &[(5_000, 50), (10_000, 50)]),
    };
    (!percent(rng, 15)).then(|| cents(limit_dollars * 100))
}

pub(super) fn new_profile(rng: &mut ChaCha8Rng, tier: Tier) -> Profile {
    let (weight, volume) = match tier {
        Tier::Key => (24, 2),
        Tier::Regular => (6, 1),
        Tier::Small => (rng.random_range(1..=2), 1),
    };
    let terms_days = if tier == Tier::Key {
        pick(rng, &[(30, 50), (60, 40), (15, 10)])
    } else {
        pick(rng, &[(30, 75), (15, 15), (60, 10)])
    };
    Profile {
        weight,
        volume,
        rep: pick_index(rng, SALES_REPS.iter().map(|r| r.accounts)),
        terms_days,
        habit: pick(rng, &HABITS),
        method: pick(rng, &METHODS),
    }
}
