//! Listing a repository's tags, page by page.

use std::collections::HashSet;
use std::future::Future;

use crate::{Error, OciClient};

/// Tags asked for per request.
const PAGE_SIZE: usize = 1000;
/// More tags than any sane repository has; stops a registry that never ends its listing.
const MAX_TAGS: usize = 1_000_000;

impl OciClient {
    /// All tags of the repository, in the registry's order.
    ///
    /// Pages with `n` and `last` (OCI distribution spec) until a page brings no new tag, so
    /// it works with registries that paginate, that cap `n`, and that ignore both (Docker's
    /// registry 2.8 returns everything at once).
    pub async fn list_tags(&self) -> Result<Vec<String>, Error> {
        self.list_tags_paged(PAGE_SIZE).await
    }

    /// [`OciClient::list_tags`] with a chosen page size.
    pub async fn list_tags_paged(&self, page_size: usize) -> Result<Vec<String>, Error> {
        self.bounded("listing the tags", async {
            let auth = self.authenticate().await;
            let reference = self.tag_ref("latest");
            collect_pages(MAX_TAGS, |last| {
                let auth = &auth;
                let reference = &reference;
                async move {
                    self.inner
                        .list_tags(reference, auth, Some(page_size.max(1)), last.as_deref())
                        .await
                        .map(|page| page.tags)
                        .map_err(|e| self.registry_error(self.url.repository(), e))
                }
            })
            .await
            .map_err(|e| match e {
                PageError::Fetch(e) => e,
                PageError::TooMany => Error::TooLarge {
                    what: format!("the tag list of '{}'", self.url),
                    limit: MAX_TAGS as u64,
                },
            })
        })
        .await
    }
}

enum PageError {
    Fetch(Error),
    TooMany,
}

/// Fetches pages (`fetch(last)`) until one adds nothing new, deduplicating.
async fn collect_pages<F, Fut>(max: usize, mut fetch: F) -> Result<Vec<String>, PageError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Vec<String>, Error>>,
{
    let mut seen = HashSet::new();
    let mut tags = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let page = fetch(last.clone()).await.map_err(PageError::Fetch)?;
        let before = tags.len();
        for tag in &page {
            if seen.insert(tag.clone()) {
                tags.push(tag.clone());
            }
        }
        if tags.len() > max {
            return Err(PageError::TooMany);
        }
        if tags.len() == before {
            return Ok(tags);
        }
        last = page.last().cloned();
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    fn all_tags() -> Vec<String> {
        (0..25).map(|i| format!("v{i:03}")).collect()
    }

    fn block_on<T>(future: impl Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .block_on(future)
    }

    #[test]
    fn paginating_registries_are_walked_to_the_end() {
        let tags = all_tags();
        let calls = Cell::new(0);
        let listed = block_on(collect_pages(MAX_TAGS, |last| {
            calls.set(calls.get() + 1);
            let start = last.map_or(0, |l| {
                tags.iter().position(|t| *t == l).map_or(0, |p| p + 1)
            });
            let page: Vec<String> = tags.iter().skip(start).take(10).cloned().collect();
            async move { Ok(page) }
        }));
        assert_eq!(listed.ok(), Some(all_tags()));
        assert_eq!(calls.get(), 4, "3 pages and the empty one");
    }

    #[test]
    fn registries_ignoring_pagination_are_listed_once() {
        let calls = Cell::new(0);
        let listed = block_on(collect_pages(MAX_TAGS, |_| {
            calls.set(calls.get() + 1);
            async { Ok(all_tags()) }
        }));
        assert_eq!(listed.ok(), Some(all_tags()));
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn endless_listings_are_cut() {
        let counter = Cell::new(0);
        let listed = block_on(collect_pages(100, |_| {
            counter.set(counter.get() + 1);
            let page: Vec<String> = (0..10).map(|i| format!("t{}-{i}", counter.get())).collect();
            async move { Ok(page) }
        }));
        assert!(matches!(listed, Err(PageError::TooMany)));
    }
}
