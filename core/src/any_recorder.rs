use std::sync::Arc;
use std::time::Duration;

use crate::{
    AsyncConfig, AsyncRecorder, Counter, Error, Gauge, GaugeOp, Histogram, MinMax, Recorded, Timer,
};

/// One event for an [`AnyAsyncRecorder`], whichever metric it feeds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AsyncEvent {
    /// For a Counter (an amount to add), a Histogram or a MinMax (a value to record).
    Value(u64),
    /// For a Timer: a duration in nanoseconds and whether the execution succeeded.
    Timing {
        /// Duration in nanoseconds.
        nanos: u64,
        /// Whether the execution succeeded.
        ok: bool,
    },
    /// For a Gauge.
    Gauge(GaugeOp),
}

/// An [`AsyncRecorder`] whose metric type is chosen at run time: the form the C ABI and the
/// language bindings use, where one handle type must front any metric. Events of the wrong kind
/// for the metric are refused with [`Error::InvalidArgument`], never applied.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use atomicperf::{AnyAsyncRecorder, AsyncConfig, AsyncEvent, Timer};
///
/// let rule = Arc::new(Timer::new());
/// let r = AnyAsyncRecorder::timer(rule.clone(), AsyncConfig::default()).unwrap();
/// r.record(AsyncEvent::Timing { nanos: 1_500, ok: false }).unwrap();
/// assert!(r.record(AsyncEvent::Value(1)).is_err());
/// assert!(r.flush(Duration::from_secs(5)));
/// assert_eq!((rule.count(), rule.errors()), (1, 1));
/// ```
#[derive(Debug)]
pub enum AnyAsyncRecorder {
    /// In front of a [`Counter`].
    Counter(AsyncRecorder<Counter>),
    /// In front of a [`Gauge`].
    Gauge(AsyncRecorder<Gauge>),
    /// In front of a [`Histogram`].
    Histogram(AsyncRecorder<Histogram>),
    /// In front of a [`Timer`].
    Timer(AsyncRecorder<Timer>),
    /// In front of a [`MinMax`].
    MinMax(AsyncRecorder<MinMax>),
}

/// Calls the same method on whichever recorder is inside.
macro_rules! each {
    ($self:expr, $r:ident => $body:expr) => {
        match $self {
            AnyAsyncRecorder::Counter($r) => $body,
            AnyAsyncRecorder::Gauge($r) => $body,
            AnyAsyncRecorder::Histogram($r) => $body,
            AnyAsyncRecorder::Timer($r) => $body,
            AnyAsyncRecorder::MinMax($r) => $body,
        }
    };
}

impl AnyAsyncRecorder {
    /// A recorder in front of a counter.
    ///
    /// # Errors
    /// As [`AsyncRecorder::new`].
    pub fn counter(target: Arc<Counter>, config: AsyncConfig) -> Result<Self, Error> {
        AsyncRecorder::new(target, config).map(Self::Counter)
    }

    /// A recorder in front of a gauge.
    ///
    /// # Errors
    /// As [`AsyncRecorder::new`].
    pub fn gauge(target: Arc<Gauge>, config: AsyncConfig) -> Result<Self, Error> {
        AsyncRecorder::new(target, config).map(Self::Gauge)
    }

    /// A recorder in front of a histogram.
    ///
    /// # Errors
    /// As [`AsyncRecorder::new`].
    pub fn histogram(target: Arc<Histogram>, config: AsyncConfig) -> Result<Self, Error> {
        AsyncRecorder::new(target, config).map(Self::Histogram)
    }

    /// A recorder in front of a timer.
    ///
    /// # Errors
    /// As [`AsyncRecorder::new`].
    pub fn timer(target: Arc<Timer>, config: AsyncConfig) -> Result<Self, Error> {
        AsyncRecorder::new(target, config).map(Self::Timer)
    }

    /// A recorder in front of a min/max.
    ///
    /// # Errors
    /// As [`AsyncRecorder::new`].
    pub fn minmax(target: Arc<MinMax>, config: AsyncConfig) -> Result<Self, Error> {
        AsyncRecorder::new(target, config).map(Self::MinMax)
    }

    /// The kind of metric behind the queue: "counter", "gauge", "histogram", "timer" or "minmax".
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Counter(_) => "counter",
            Self::Gauge(_) => "gauge",
            Self::Histogram(_) => "histogram",
            Self::Timer(_) => "timer",
            Self::MinMax(_) => "minmax",
        }
    }

    /// Queues one event (see [`AsyncRecorder::record`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an event of the wrong kind; [`Error::Closed`] after close.
    pub fn record(&self, event: AsyncEvent) -> Result<Recorded, Error> {
        self.dispatch(event, None)
    }

    /// Queues one event, waiting at most `timeout` for room (see
    /// [`AsyncRecorder::record_with_timeout`]).
    ///
    /// # Errors
    /// As [`record`](Self::record), and [`Error::Timeout`].
    pub fn record_with_timeout(
        &self,
        event: AsyncEvent,
        timeout: Duration,
    ) -> Result<Recorded, Error> {
        self.dispatch(event, Some(timeout))
    }

    fn dispatch(&self, event: AsyncEvent, timeout: Option<Duration>) -> Result<Recorded, Error> {
        fn send<T: crate::AsyncTarget>(
            r: &AsyncRecorder<T>,
            e: T::Event,
            t: Option<Duration>,
        ) -> Result<Recorded, Error> {
            match t {
                Some(t) => r.record_with_timeout(e, t),
                None => r.record(e),
            }
        }
        match (self, event) {
            (Self::Counter(r), AsyncEvent::Value(v)) => send(r, v, timeout),
            (Self::Histogram(r), AsyncEvent::Value(v)) => send(r, v, timeout),
            (Self::MinMax(r), AsyncEvent::Value(v)) => send(r, v, timeout),
            (Self::Timer(r), AsyncEvent::Timing { nanos, ok }) => send(r, (nanos, ok), timeout),
            (Self::Gauge(r), AsyncEvent::Gauge(op)) => send(r, op, timeout),
            (recorder, event) => Err(Error::InvalidArgument(format!(
                "a recorder in front of a {} cannot take {event:?}",
                recorder.kind()
            ))),
        }
    }

    /// See [`AsyncRecorder::flush`].
    pub fn flush(&self, timeout: Duration) -> bool {
        each!(self, r => r.flush(timeout))
    }

    /// See [`AsyncRecorder::queued`].
    pub fn queued(&self) -> u64 {
        each!(self, r => r.queued())
    }

    /// See [`AsyncRecorder::flush_until`].
    pub fn flush_until(&self, target: u64, timeout: Duration) -> bool {
        each!(self, r => r.flush_until(target, timeout))
    }

    /// See [`AsyncRecorder::close`].
    pub fn close(&self) {
        each!(self, r => r.close())
    }

    /// See [`AsyncRecorder::is_closed`].
    pub fn is_closed(&self) -> bool {
        each!(self, r => r.is_closed())
    }

    /// See [`AsyncRecorder::enqueued`].
    pub fn enqueued(&self) -> u64 {
        each!(self, r => r.enqueued())
    }

    /// See [`AsyncRecorder::applied`].
    pub fn applied(&self) -> u64 {
        each!(self, r => r.applied())
    }

    /// See [`AsyncRecorder::dropped`].
    pub fn dropped(&self) -> u64 {
        each!(self, r => r.dropped())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn every_kind_takes_its_own_events_and_refuses_the_others() {
        let cfg = AsyncConfig::default();
        let recorders = [
            (
                AnyAsyncRecorder::counter(Arc::new(Counter::new()), cfg).unwrap(),
                AsyncEvent::Value(1),
            ),
            (
                AnyAsyncRecorder::histogram(Arc::new(Histogram::new()), cfg).unwrap(),
                AsyncEvent::Value(1),
            ),
            (
                AnyAsyncRecorder::minmax(Arc::new(MinMax::new()), cfg).unwrap(),
                AsyncEvent::Value(1),
            ),
            (
                AnyAsyncRecorder::timer(Arc::new(Timer::new()), cfg).unwrap(),
                AsyncEvent::Timing { nanos: 1, ok: true },
            ),
            (
                AnyAsyncRecorder::gauge(Arc::new(Gauge::new()), cfg).unwrap(),
                AsyncEvent::Gauge(GaugeOp::Set(1.0)),
            ),
        ];
        let all = [
            AsyncEvent::Value(1),
            AsyncEvent::Timing { nanos: 1, ok: true },
            AsyncEvent::Gauge(GaugeOp::Add(1.0)),
        ];
        for (r, good) in &recorders {
            assert_eq!(r.record(*good), Ok(Recorded::Queued), "{}", r.kind());
            for e in all
                .iter()
                .filter(|e| std::mem::discriminant(*e) != std::mem::discriminant(good))
            {
                assert!(
                    matches!(r.record(*e), Err(Error::InvalidArgument(_))),
                    "{} took {e:?}",
                    r.kind()
                );
            }
            assert!(r.flush(Duration::from_secs(10)));
            assert_eq!((r.enqueued(), r.applied(), r.dropped()), (1, 1, 0));
            r.close();
            assert_eq!(r.record(*good), Err(Error::Closed));
        }
    }
}
