//! Analytics through the façade: the seed's statistics, costs by country, a timeline, route
//! health and the dashboard, computed from the store's hourly rollups.
//!
//! Owns the query rules (dates as RFC 3339 or `YYYY-MM-DD`, a plain `date_to` meaning the
//! whole day; 30 days up to now by default; hour resolution), the aggregates and their
//! shapes. Never imports axum, SQL or AT; reads the time only through the service clock.
//! Invariant: bad input is `Invalid` naming the query field, never a panic; every read is
//! one store read of rollup rows, never a scan of messages.

use super::{Service, ServiceError};
use crate::message::{format_millis, parse_rfc3339, Millis, SmsType};
use crate::store::analytics::{Cell, Range, RouteHealth, Totals, HOUR_MS};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// The range used when no `date_from` is given: 30 days before `date_to`.
pub const DEFAULT_DAYS: i64 = 30;
/// Most buckets one timeline answers.
pub const TIMELINE_BUCKETS_MAX: i64 = 10_000;
/// Most countries one answer lists.
pub const COUNTRIES_MAX: usize = 300;
const DAY_MS: Millis = 24 * HOUR_MS;

/// The query parameters every analytics call takes, as the client wrote them.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsQuery {
    /// First day or instant (RFC 3339 or `YYYY-MM-DD`).
    pub date_from: Option<String>,
    /// Last day or instant, included.
    pub date_to: Option<String>,
    /// Only this SMS type.
    pub sms_type: Option<String>,
    /// Only this route (modem or provider name).
    pub route: Option<String>,
}

/// `GET /api/analytics/stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// Start of the range (RFC 3339, UTC; the hour it falls in).
    pub date_from: String,
    /// End of the range, included.
    pub date_to: String,
    /// The currency of every cost (`[analytics] currency`).
    pub currency: String,
    /// Messages accepted in the range.
    pub total: i64,
    /// Messages by current status.
    pub by_status: BTreeMap<String, i64>,
    /// Messages now `sent` (waiting for a delivery report).
    pub sent: i64,
    /// Messages now `delivered`.
    pub delivered: i64,
    /// Messages now `failed`.
    pub failed: i64,
    /// `delivered / total` in percent (0 when there are none).
    pub delivery_rate: f64,
    /// Sum of segment costs.
    pub total_cost: f64,
    /// `total_cost / total` (0 when there are none).
    pub average_cost: f64,
    /// Segments of the messages.
    pub segments: i64,
    /// Messages, segments and cost by route (modems and providers; not yet routed ones are
    /// under no route).
    pub by_route: BTreeMap<String, Totals>,
    /// The same for providers only.
    pub by_provider: BTreeMap<String, Totals>,
    /// The same for modems only.
    pub by_modem: BTreeMap<String, Totals>,
}

/// One destination country.
#[derive(Debug, Clone, Serialize)]
pub struct CountryRow {
    /// ISO 3166 alpha-2; `null` when no numbering plan knows the number.
    pub country: Option<String>,
    /// Messages.
    pub count: i64,
    /// Segments.
    pub segments: i64,
    /// Cost.
    pub cost: f64,
}

/// `GET /api/analytics/countries`.
#[derive(Debug, Clone, Serialize)]
pub struct Countries {
    /// Range start.
    pub date_from: String,
    /// Range end.
    pub date_to: String,
    /// Currency of `cost`.
    pub currency: String,
    /// Countries, most expensive first (then most messages, then by code).
    pub countries: Vec<CountryRow>,
}

/// One timeline bucket.
#[derive(Debug, Clone, Serialize)]
pub struct Bucket {
    /// Bucket start, RFC 3339 UTC.
    pub start: String,
    /// Messages accepted in the bucket.
    pub total: i64,
    /// Their segments.
    pub segments: i64,
    /// Their cost.
    pub cost: f64,
    /// By current status.
    pub by_status: BTreeMap<String, i64>,
}

/// `GET /api/analytics/timeline`.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// `hour` or `day`.
    pub interval: String,
    /// Range start.
    pub date_from: String,
    /// Range end.
    pub date_to: String,
    /// Every bucket of the range, empty ones included, oldest first.
    pub buckets: Vec<Bucket>,
}

/// Send latency percentiles of a route, from its histogram (bucket upper bounds, ms).
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Sends measured.
    pub sends: i64,
    /// Median: the upper bound of the bucket holding it (`null`: no sends, or beyond the
    /// last bound).
    pub p50_ms: Option<Millis>,
    /// 95th percentile.
    pub p95_ms: Option<Millis>,
    /// 99th percentile.
    pub p99_ms: Option<Millis>,
}

/// One route's health.
#[derive(Debug, Clone, Serialize)]
pub struct RouteRow {
    /// Modem or provider name.
    pub route: String,
    /// `modem` or `provider`.
    pub kind: &'static str,
    /// Messages last on this route.
    pub messages: i64,
    /// By current status.
    pub by_status: BTreeMap<String, i64>,
    /// `(sent + delivered) / (sent + delivered + undelivered + failed)` in percent.
    pub success_rate: f64,
    /// `delivered / (delivered + undelivered + failed)` in percent.
    pub delivery_rate: f64,
    /// Segments.
    pub segments: i64,
    /// Cost.
    pub cost: f64,
    /// Send latency (lease to the route's answer).
    pub latency: Latency,
    /// Failed attempts by error class (retries included).
    pub errors: BTreeMap<String, i64>,
}

/// `GET /api/analytics/routes`.
#[derive(Debug, Clone, Serialize)]
pub struct Routes {
    /// Range start.
    pub date_from: String,
    /// Range end.
    pub date_to: String,
    /// Currency of `cost`.
    pub currency: String,
    /// Routes by name.
    pub routes: Vec<RouteRow>,
}

/// `GET /api/analytics/dashboard`: seed 001's dashboard in one call.
#[derive(Debug, Clone, Serialize)]
pub struct Dashboard {
    /// The statistics.
    pub stats: Stats,
    /// The top 10 countries by cost.
    pub by_country: Vec<CountryRow>,
    /// Messages by status.
    pub by_status: BTreeMap<String, i64>,
    /// Daily buckets (hourly for a range of two days or less).
    pub timeline: Timeline,
}

fn invalid(field: &str, reason: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Reads a date: RFC 3339, or `YYYY-MM-DD` (UTC; its first millisecond, or with `end` its
/// last).
pub fn parse_date(field: &str, text: &str, end: bool) -> Result<Millis, ServiceError> {
    let text = text.trim();
    if let Some(at) = parse_rfc3339(text) {
        return Ok(at);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format).map_err(|_| {
        invalid(
            field,
            format!("{text:?} is neither RFC 3339 nor YYYY-MM-DD"),
        )
    })?;
    let midnight = date.midnight().assume_utc().unix_timestamp() * 1000;
    Ok(if end { midnight + DAY_MS - 1 } else { midnight })
}

fn percent(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        // Two decimals, as the seed shows it.
        (part as f64 * 10_000.0 / whole as f64).round() / 100.0
    }
}

/// The `q`-quantile of a histogram (upper bound → count): the bound of the bucket holding it.
fn quantile(histogram: &BTreeMap<Millis, i64>, total: i64, q: f64) -> Option<Millis> {
    if total <= 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as i64;
    let mut seen = 0;
    for (&bound, &count) in histogram {
        seen += count;
        if seen >= rank {
            return (bound != Millis::MAX).then_some(bound);
        }
    }
    None
}

impl Service {
    fn analytics_range(&self, q: &AnalyticsQuery) -> Result<Range, ServiceError> {
        let to = match &q.date_to {
            Some(text) => parse_date("date_to", text, true)?,
            None => self.now(),
        };
        let from = match &q.date_from {
            Some(text) => parse_date("date_from", text, false)?,
            None => to - DEFAULT_DAYS * DAY_MS,
        };
        if from > to {
            return Err(invalid("date_from", "is after date_to"));
        }
        let sms_type = match q.sms_type.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(
                SmsType::parse(name)
                    .ok_or_else(|| {
                        invalid(
                            "sms_type",
                            format!("{name:?} is not transactional, promotional, alert or otp"),
                        )
                    })?
                    .as_str()
                    .to_string(),
            ),
        };
        let route = match q.route.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(name) if name.len() > 64 => {
                return Err(invalid("route", "is longer than 64 characters"))
            }
            Some(name) => Some(name.to_string()),
        };
        Ok(Range {
            from,
            to,
            sms_type,
            route,
        })
    }

    fn modem_names(&self) -> HashSet<String> {
        self.modems.names().into_iter().collect()
    }

    fn currency(&self) -> String {
        self.settings().currency.clone()
    }

    fn stats_of(&self, range: &Range, cells: &[Cell]) -> Stats {
        let modems = self.modem_names();
        let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
        let mut all = Totals::default();
        let mut by_route: BTreeMap<String, Totals> = BTreeMap::new();
        for c in cells {
            *by_status.entry(c.status.clone()).or_default() += c.totals.messages;
            all.add(&c.totals);
            if !c.route.is_empty() {
                by_route.entry(c.route.clone()).or_default().add(&c.totals);
            }
        }
        let (by_modem, by_provider): (BTreeMap<_, _>, BTreeMap<_, _>) = by_route
            .clone()
            .into_iter()
            .partition(|(name, _)| modems.contains(name));
        let count = |s: &str| by_status.get(s).copied().unwrap_or(0);
        Stats {
            date_from: format_millis(crate::store::analytics::hour_of(range.from)),
            date_to: format_millis(range.to),
            currency: self.currency(),
            total: all.messages,
            sent: count("sent"),
            delivered: count("delivered"),
            failed: count("failed"),
            delivery_rate: percent(count("delivered"), all.messages),
            total_cost: all.cost,
            average_cost: if all.messages > 0 {
                all.cost / all.messages as f64
            } else {
                0.0
            },
            segments: all.segments,
            by_status,
            by_route,
            by_provider,
            by_modem,
        }
    }

    /// `GET /api/analytics/stats`.
    pub async fn analytics_stats(&self, q: &AnalyticsQuery) -> Result<Stats, ServiceError> {
        let range = self.analytics_range(q)?;
        let cells = self.store.analytics_cells(range.clone(), false).await?;
        Ok(self.stats_of(&range, &cells))
    }

    fn countries_of(cells: &[Cell], limit: usize) -> Vec<CountryRow> {
        let mut by: BTreeMap<String, Totals> = BTreeMap::new();
        for c in cells {
            by.entry(c.country.clone()).or_default().add(&c.totals);
        }
        let mut rows: Vec<CountryRow> = by
            .into_iter()
            .map(|(country, t)| CountryRow {
                country: (!country.is_empty()).then_some(country),
                count: t.messages,
                segments: t.segments,
                cost: t.cost,
            })
            .collect();
        rows.sort_by(|a, b| {
            b.cost
                .total_cmp(&a.cost)
                .then(b.count.cmp(&a.count))
                .then(a.country.cmp(&b.country))
        });
        rows.truncate(limit);
        rows
    }

    /// `GET /api/analytics/countries` (`limit` 1–300, all by default).
    pub async fn analytics_countries(
        &self,
        q: &AnalyticsQuery,
        limit: Option<usize>,
    ) -> Result<Countries, ServiceError> {
        let limit = limit.unwrap_or(COUNTRIES_MAX);
        if limit == 0 || limit > COUNTRIES_MAX {
            return Err(invalid("limit", format!("1–{COUNTRIES_MAX}")));
        }
        let range = self.analytics_range(q)?;
        let cells = self.store.analytics_cells(range.clone(), false).await?;
        Ok(Countries {
            date_from: format_millis(crate::store::analytics::hour_of(range.from)),
            date_to: format_millis(range.to),
            currency: self.currency(),
            countries: Self::countries_of(&cells, limit),
        })
    }

    fn timeline_of(
        range: &Range,
        cells: &[Cell],
        interval: &str,
    ) -> Result<Timeline, ServiceError> {
        let width = match interval {
            "hour" => HOUR_MS,
            "day" => DAY_MS,
            other => return Err(invalid("interval", format!("{other:?} is not hour or day"))),
        };
        let first = range.from.div_euclid(width) * width;
        let last = range.to.div_euclid(width) * width;
        let count = (last - first) / width + 1;
        if count > TIMELINE_BUCKETS_MAX {
            return Err(invalid(
                "date_from",
                format!("the range has {count} {interval}s; at most {TIMELINE_BUCKETS_MAX}"),
            ));
        }
        let mut buckets: Vec<Bucket> = (0..count)
            .map(|i| Bucket {
                start: format_millis(first + i * width),
                total: 0,
                segments: 0,
                cost: 0.0,
                by_status: BTreeMap::new(),
            })
            .collect();
        for c in cells {
            let index = (c.hour.div_euclid(width) * width - first) / width;
            let Some(bucket) = usize::try_from(index).ok().and_then(|i| buckets.get_mut(i)) else {
                continue;
            };
            bucket.total += c.totals.messages;
            bucket.segments += c.totals.segments;
            bucket.cost += c.totals.cost;
            *bucket.by_status.entry(c.status.clone()).or_default() += c.totals.messages;
        }
        Ok(Timeline {
            interval: interval.to_string(),
            date_from: format_millis(range.from),
            date_to: format_millis(range.to),
            buckets,
        })
    }

    /// `GET /api/analytics/timeline` (`interval` `hour` or `day`, `day` by default).
    pub async fn analytics_timeline(
        &self,
        q: &AnalyticsQuery,
        interval: Option<&str>,
    ) -> Result<Timeline, ServiceError> {
        let range = self.analytics_range(q)?;
        let interval = interval.unwrap_or("day").trim();
        // Checked before the read so a bad interval costs nothing.
        Self::timeline_of(&range, &[], interval)?;
        let cells = if interval == "hour" {
            self.store.analytics_hourly_status(range.clone()).await?
        } else {
            self.store.analytics_cells(range.clone(), false).await?
        };
        Self::timeline_of(&range, &cells, interval)
    }

    /// `GET /api/analytics/routes`.
    pub async fn analytics_routes(&self, q: &AnalyticsQuery) -> Result<Routes, ServiceError> {
        let range = self.analytics_range(q)?;
        let (cells, health) = self.store.analytics_routes(range.clone()).await?;
        let modems = self.modem_names();
        let mut per: BTreeMap<String, (Totals, BTreeMap<String, i64>)> = BTreeMap::new();
        for c in cells.iter().filter(|c| !c.route.is_empty()) {
            let entry = per.entry(c.route.clone()).or_default();
            entry.0.add(&c.totals);
            *entry.1.entry(c.status.clone()).or_default() += c.totals.messages;
        }
        for name in health.keys() {
            per.entry(name.clone()).or_default();
        }
        let empty = RouteHealth::default();
        let routes = per
            .into_iter()
            .map(|(route, (totals, by_status))| {
                let h = health.get(&route).unwrap_or(&empty);
                let n = |s: &str| by_status.get(s).copied().unwrap_or(0);
                let settled = n("sent") + n("delivered") + n("undelivered") + n("failed");
                let reported = n("delivered") + n("undelivered") + n("failed");
                let sends: i64 = h.latency.values().sum();
                RouteRow {
                    kind: if modems.contains(&route) {
                        "modem"
                    } else {
                        "provider"
                    },
                    messages: totals.messages,
                    success_rate: percent(n("sent") + n("delivered"), settled),
                    delivery_rate: percent(n("delivered"), reported),
                    segments: totals.segments,
                    cost: totals.cost,
                    latency: Latency {
                        sends,
                        p50_ms: quantile(&h.latency, sends, 0.50),
                        p95_ms: quantile(&h.latency, sends, 0.95),
                        p99_ms: quantile(&h.latency, sends, 0.99),
                    },
                    errors: h.errors.clone(),
                    by_status,
                    route,
                }
            })
            .collect();
        Ok(Routes {
            date_from: format_millis(crate::store::analytics::hour_of(range.from)),
            date_to: format_millis(range.to),
            currency: self.currency(),
            routes,
        })
    }

    /// `GET /api/analytics/dashboard`: stats, top 10 countries, statuses and a timeline
    /// (hourly for two days or less, else daily) from one read.
    pub async fn analytics_dashboard(&self, q: &AnalyticsQuery) -> Result<Dashboard, ServiceError> {
        let range = self.analytics_range(q)?;
        let interval = if range.to - range.from <= 2 * DAY_MS {
            "hour"
        } else {
            "day"
        };
        let cells = self
            .store
            .analytics_cells(range.clone(), interval == "hour")
            .await?;
        let stats = self.stats_of(&range, &cells);
        Ok(Dashboard {
            by_country: Self::countries_of(&cells, 10),
            by_status: stats.by_status.clone(),
            timeline: Self::timeline_of(&range, &cells, interval)?,
            stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc3339_or_days() {
        assert_eq!(
            parse_date("date_from", "1970-01-02", false).unwrap(),
            DAY_MS
        );
        assert_eq!(
            parse_date("date_to", "1970-01-02", true).unwrap(),
            2 * DAY_MS - 1
        );
        assert_eq!(
            parse_date("date_to", "1970-01-01T01:00:00Z", true).unwrap(),
            HOUR_MS
        );
        let err = parse_date("date_to", "yesterday", true).unwrap_err();
        assert!(matches!(err, ServiceError::Invalid { ref field, .. } if field == "date_to"));
    }

    #[test]
    fn quantiles_are_bucket_bounds() {
        let h: BTreeMap<Millis, i64> = [(100, 50), (500, 45), (1_000, 4), (Millis::MAX, 1)]
            .into_iter()
            .collect();
        assert_eq!(quantile(&h, 100, 0.50), Some(100));
        assert_eq!(quantile(&h, 100, 0.95), Some(500));
        assert_eq!(quantile(&h, 100, 0.99), Some(1_000));
        assert_eq!(quantile(&h, 100, 1.0), None);
        assert_eq!(quantile(&BTreeMap::new(), 0, 0.5), None);
        assert_eq!(percent(1, 3), 33.33);
        assert_eq!(percent(1, 0), 0.0);
    }
}
