//! [`Semaphore`]: tokio's semaphore with its waits and contended releases profiled.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use tokio::sync::{AcquireError, TryAcquireError};

use super::mutex::blocking_wait;
use super::timed::Timed;
use crate::contention::Tracker;

/// A counting semaphore, `tokio::sync::Semaphore` with profiled waits: a task that finds too
/// few permits records the time it spends awaiting them in the [block](crate::block)
/// profile, and every release of permits while tasks wait (a permit dropped, or
/// [`add_permits`](Semaphore::add_permits)) is charged with their delay in the
/// [mutex](crate::mutex) profile, as a lock's release is: the semaphore is a lock for `n`.
/// Fair, as tokio's.
///
/// ```
/// use oxprof::sync::tokio::Semaphore;
/// use std::sync::Arc;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let connections = Arc::new(Semaphore::new(2));
/// let tasks: Vec<_> = (0..5)
///     .map(|_| {
///         let connections = Arc::clone(&connections);
///         tokio::spawn(async move {
///             let _permit = connections.acquire().await.unwrap();
///             // at most 2 tasks here at once
///         })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap();
/// }
/// assert_eq!(connections.available_permits(), 2);
/// # });
/// ```
pub struct Semaphore {
    tracker: Tracker,
    inner: tokio::sync::Semaphore,
}

/// Permits taken from a borrowed [`Semaphore`], given back when dropped.
/// `tokio::sync::SemaphorePermit`'s counterpart.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sem = oxprof::sync::tokio::Semaphore::new(3);
/// let permit = sem.acquire_many(2).await.unwrap();
/// assert_eq!((permit.num_permits(), sem.available_permits()), (2, 1));
/// drop(permit);
/// assert_eq!(sem.available_permits(), 3);
/// # });
/// ```
#[must_use]
#[derive(Debug)]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    // Dropped by hand, after the tracker charges the release while the permits are held.
    inner: ManuallyDrop<tokio::sync::SemaphorePermit<'a>>,
}

/// Permits taken from an [`Arc`]ed [`Semaphore`], given back when dropped: they can move
/// into a spawned task. `tokio::sync::OwnedSemaphorePermit`'s counterpart.
///
/// ```
/// use std::sync::Arc;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(1));
/// let permit = Arc::clone(&sem).acquire_owned().await.unwrap();
/// tokio::spawn(async move {
///     let _permit = permit; // held by the task, released when it ends
/// })
/// .await
/// .unwrap();
/// assert_eq!(sem.available_permits(), 1);
/// # });
/// ```
#[must_use]
#[derive(Debug)]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    // Taken from the semaphore and forgotten there; given back by `Drop`.
    permits: u32,
}

impl Semaphore {
    /// The most permits a semaphore can hold.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::tokio::Semaphore::MAX_PERMITS, tokio::sync::Semaphore::MAX_PERMITS);
    /// ```
    pub const MAX_PERMITS: usize = tokio::sync::Semaphore::MAX_PERMITS;

    /// A semaphore with `permits` permits. Panics past [`MAX_PERMITS`](Self::MAX_PERMITS),
    /// as tokio's.
    ///
    /// ```
    /// assert_eq!(oxprof::sync::tokio::Semaphore::new(4).available_permits(), 4);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            tracker: Tracker::new(),
            inner: tokio::sync::Semaphore::new(permits),
        }
    }

    /// A semaphore with `permits` permits, in a constant context.
    ///
    /// ```
    /// static LIMIT: oxprof::sync::tokio::Semaphore = oxprof::sync::tokio::Semaphore::const_new(8);
    /// ```
    pub const fn const_new(permits: usize) -> Semaphore {
        Semaphore {
            tracker: Tracker::new(),
            inner: tokio::sync::Semaphore::const_new(permits),
        }
    }

    /// The permits free now.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(2);
    /// let _permit = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.inner.available_permits()
    }

    /// Adds `n` permits, handing them to waiting tasks first: a release, charged if tasks
    /// wait.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.tracker.unlocking();
        self.inner.add_permits(n);
    }

    /// Takes up to `n` free permits away for good; how many it took.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(3);
    /// assert_eq!(sem.forget_permits(5), 3);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        self.inner.forget_permits(n)
    }

    /// Takes a permit, awaiting one while none is free (a profiled wait); an error if the
    /// semaphore is closed. Cancel safe.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sem = oxprof::sync::tokio::Semaphore::new(1);
    /// let permit = sem.acquire().await.unwrap();
    /// assert_eq!(sem.available_permits(), 0);
    /// # drop(permit);
    /// # });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        let inner = Timed::lock(&self.tracker, self.inner.acquire()).await?;
        Ok(self.permit(inner))
    }

    /// Takes `n` permits at once, awaiting them (a profiled wait).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sem = oxprof::sync::tokio::Semaphore::new(3);
    /// assert_eq!(sem.acquire_many(3).await.unwrap().num_permits(), 3);
    /// # });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        let inner = Timed::lock(&self.tracker, self.inner.acquire_many(n)).await?;
        Ok(self.permit(inner))
    }

    /// [`acquire`](Semaphore::acquire) from synchronous code, blocking the thread. Panics
    /// inside an async runtime, as tokio's.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(1);
    /// assert_eq!(sem.blocking_acquire().unwrap().num_permits(), 1);
    /// ```
    pub fn blocking_acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        let inner = match self.inner.try_acquire() {
            Ok(inner) => inner,
            // Fails at once, with tokio's error (which has no constructor).
            Err(TryAcquireError::Closed) => self.inner.blocking_acquire()?,
            Err(TryAcquireError::NoPermits) => {
                blocking_wait(&self.tracker, || self.inner.blocking_acquire())?
            }
        };
        Ok(self.permit(inner))
    }

    /// Takes a permit if one is free now.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(1);
    /// let permit = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// # drop(permit);
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.inner.try_acquire().map(|inner| self.permit(inner))
    }

    /// Takes `n` permits if they are free now.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_err());
    /// assert!(sem.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.inner
            .try_acquire_many(n)
            .map(|inner| self.permit(inner))
    }

    /// [`acquire`](Semaphore::acquire) for a permit that owns its `Arc` of the semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(1));
    /// let permit = Arc::clone(&sem).acquire_owned().await.unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &sem));
    /// # });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// [`acquire_many`](Semaphore::acquire_many) for a permit that owns its `Arc` of the
    /// semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(2));
    /// let permit = Arc::clone(&sem).acquire_many_owned(2).await.unwrap();
    /// assert_eq!(permit.num_permits(), 2);
    /// # });
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        Timed::lock(&self.tracker, self.inner.acquire_many(n))
            .await?
            .forget();
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// [`try_acquire`](Semaphore::try_acquire) for a permit that owns its `Arc` of the
    /// semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(1));
    /// let permit = Arc::clone(&sem).try_acquire_owned().unwrap();
    /// assert!(Arc::clone(&sem).try_acquire_owned().is_err());
    /// # drop(permit);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// [`try_acquire_many`](Semaphore::try_acquire_many) for a permit that owns its `Arc` of
    /// the semaphore.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(3));
    /// assert_eq!(sem.try_acquire_many_owned(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.inner.try_acquire_many(n)?.forget();
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Closes the semaphore: waiting and later acquires fail; permits held stay valid.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed() && sem.try_acquire().is_err());
    /// ```
    pub fn close(&self) {
        self.inner.close();
    }

    /// Whether [`close`](Semaphore::close) was called.
    ///
    /// ```
    /// assert!(!oxprof::sync::tokio::Semaphore::new(1).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn permit<'a>(&'a self, inner: tokio::sync::SemaphorePermit<'a>) -> SemaphorePermit<'a> {
        SemaphorePermit {
            sem: self,
            inner: ManuallyDrop::new(inner),
        }
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tokio's form.
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl<'a> SemaphorePermit<'a> {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never used or dropped again, so the inner permit is taken once.
        unsafe { ManuallyDrop::take(&mut this.inner) }.forget();
    }

    /// Adds `other`'s permits to these. Panics if they come from another semaphore, as
    /// tokio's.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(2);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    pub fn merge(&mut self, other: Self) {
        let mut other = ManuallyDrop::new(other);
        // SAFETY: `other` is never used or dropped again, so its inner permit is taken once.
        self.inner
            .merge(unsafe { ManuallyDrop::take(&mut other.inner) });
    }

    /// How many permits these are.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(3);
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.inner.num_permits()
    }

    /// The semaphore they come from.
    ///
    /// ```
    /// let sem = oxprof::sync::tokio::Semaphore::new(1);
    /// assert!(std::ptr::eq(sem.try_acquire().unwrap().semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &'a Semaphore {
        self.sem
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.tracker.unlocking();
        // SAFETY: the inner permit is dropped here once; `forget` and `merge` take it only
        // from permits that are never dropped.
        unsafe { ManuallyDrop::drop(&mut self.inner) };
    }
}

impl OwnedSemaphorePermit {
    /// Keeps the permits out of the semaphore for good.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(2));
    /// Arc::clone(&sem).try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// Adds `other`'s permits to these. Panics if they come from another semaphore, as
    /// tokio's.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(2));
    /// let mut a = Arc::clone(&sem).try_acquire_owned().unwrap();
    /// a.merge(Arc::clone(&sem).try_acquire_owned().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    pub fn merge(&mut self, mut other: Self) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "merging permits from different semaphore instances"
        );
        self.permits += std::mem::take(&mut other.permits);
    }

    /// How many permits these are.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(3));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore they come from.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(oxprof::sync::tokio::Semaphore::new(1));
    /// let permit = Arc::clone(&sem).try_acquire_owned().unwrap();
    /// assert!(Arc::ptr_eq(permit.semaphore(), &sem));
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        if self.permits > 0 {
            self.sem.tracker.unlocking();
            self.sem.inner.add_permits(self.permits as usize);
        }
    }
}
