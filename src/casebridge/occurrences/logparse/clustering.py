"""Online clustering of masked messages into templates.

Messages arrive already masked (see :mod:`.masking`) and split into tokens. Clustering works
in tiers, cheapest first:

1. **Signature cache.** The masked message text maps directly to its cluster. After masking,
   most lines of a log repeat a signature seen before, so most lines end here.
2. **Template match.** Clusters are indexed by (token count, first token). A new signature
   that agrees with a cluster's template on every position joins it. If it differs only in
   the value parts of tokens (``host=<*>`` versus ``host=<*>.example.net``, ``()`` versus
   ``(<*>)``) and at least half of its tokens are equal, the template is generalised in
   place, as tree-based online parsers do. Only the ``MAX_CANDIDATES`` most recently used
   clusters of a bucket are examined, after a C-speed count of equal tokens, so the work
   per new signature is bounded.
3. **Value lists.** Messages whose words are the same and which only differ in how many
   value tokens they carry (``Fan speeds ( <*> <*> )``, ``sent <*> bytes (<*>)``) share a
   *skeleton* and join the first cluster that had it.
4. **Sibling counting.** A difference in plain words is ambiguous: ``login failed for
   admin`` and ``login failed for oracle`` are one event with a user-name parameter, but
   ``from NEW to RUNNING`` and ``from RUNNING to DONE`` are different events. Plain words
   are therefore only generalised on evidence: every template is registered, for each
   position, under its *sibling key* (its tokens with that position blanked). When a key
   has collected ``SIBLING_VALUES`` distinct words at the blank (more for capitalised words,
   which tend to be state names; only two if both were already proven to be parameter
   values in another context), the position is a parameter and the siblings are merged.
   Templates with little constant context are never merged this way.

When a template is generalised, clusters whose templates it now covers are absorbed and its
sibling keys are registered again. Clusters that are merged away keep a forward pointer, so
earlier template ids still resolve to the surviving template. All tables are bounded: caches
are cleared when full (costing only recomputation) and the least used half of the clusters
is evicted when there are more than ``MAX_CLUSTERS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from operator import eq
from typing import Final

from .masking import CACHE_LIMIT, WILDCARD, remember
from .templates import (
    Cluster,
    covers,
    merge_tokens,
    value_compatible,
)

SIBLING_VALUES: Final = 4
SIBLING_VALUES_CAPITALISED: Final = 5
SIBLING_CONTEXT: Final = 3
KNOWN_VALUE_SIBLINGS: Final = 2
MAX_KNOWN_VALUES: Final = 10_000
MERGE_SIMILARITY: Final = 0.5
MAX_CLUSTERS: Final = 10_000
MAX_SIBLING_KEYS: Final = 100_000
MAX_CANDIDATES: Final = 32


class Clusterer:
    """Assigns masked token lists to clusters (see the module docstring)."""

    def __init__(self) -> None:
        self._signatures: dict[str, Cluster] = {}
        self._buckets: dict[tuple[int, str], dict[int, Cluster]] = {}
        self._firsts: dict[int, set[str]] = {}
        self._siblings: dict[tuple[int, int, int], dict[str, Cluster]] = {}
        self._skeletons: dict[str, Cluster] = {}
        self._by_id: dict[str, Cluster] = {}
        self._known_values: set[str] = set()
        self._keys_by_value: dict[str, list[tuple[int, int, int]]] = {}
        self._pending: list[tuple[int, int, int]] = []
        self._live = 0

    def add(self, tokens: list[str]) -> Cluster:
        """Return the cluster for one masked message and count the line in it."""
        signature = " ".join(tokens)
        cluster = self._signatures.get(signature)
        if cluster is not None and cluster.merged_into is not None:
            cluster = self._signatures[signature] = cluster.final()
        if cluster is None or cluster.evicted:
            cluster = remember(self._signatures, signature, self._place(tokens), CACHE_LIMIT)
        cluster.count += 1
        return cluster

    def resolve(self, cluster_id: str) -> Cluster | None:
        """The live cluster that a (possibly outdated) template id ended up in."""
        cluster = self._by_id.get(cluster_id)
        return None if cluster is None else cluster.final()

    def clusters(self) -> Iterator[Cluster]:
        """All live clusters."""
        for bucket in self._buckets.values():
            yield from bucket.values()

    # -- placement -------------------------------------------------------------------------

    def _place(self, tokens: list[str]) -> Cluster:
        candidates = self._candidates(tokens)
        match = _best_match(candidates, tokens)
        if match is not None:
            self._touch(match)
            return match
        target = _mergeable(candidates, tokens)
        if target is not None:
            self._generalise(target, tokens)
            return self._settle(target)
        skeleton = _skeleton(tokens)
        same_words = self._skeletons.get(skeleton)
        if same_words is not None:
            same_words = same_words.final()
            if not same_words.evicted:
                return same_words
        cluster = self._settle(self._create(tokens))
        return remember(self._skeletons, skeleton, cluster, CACHE_LIMIT)

    def _settle(self, cluster: Cluster) -> Cluster:
        """Absorb covered clusters and register siblings until nothing changes."""
        self._settle_one(cluster)
        while self._pending:
            key = self._pending.pop()
            siblings = self._siblings.pop(key, None)
            if siblings is not None and self._known_count(siblings) >= KNOWN_VALUE_SIBLINGS:
                self._settle_one(self._merge_siblings(siblings, key[0]))
        return cluster.final()

    def _settle_one(self, cluster: Cluster) -> None:
        while True:
            self._absorb(cluster)
            survivor = self._register_siblings(cluster)
            if survivor is None:
                return
            cluster = survivor

    def _candidates(self, tokens: list[str]) -> list[Cluster]:
        """Recently used clusters of the same length and first token (or a wildcard first).

        At most ``MAX_CANDIDATES`` per bucket are examined, most recently used first, so a
        line costs bounded work even when a bucket holds thousands of templates.
        """
        length = len(tokens)
        first = _bucket_key(tokens)
        found = self._recent((length, first), MAX_CANDIDATES)
        if first != WILDCARD:
            found += self._recent((length, WILDCARD), MAX_CANDIDATES)
        return found

    def _recent(self, key: tuple[int, str], limit: int) -> list[Cluster]:
        bucket = self._buckets.get(key)
        return list(islice(reversed(bucket.values()), limit)) if bucket else []

    def _touch(self, cluster: Cluster) -> None:
        """Mark ``cluster`` as most recently used in its bucket."""
        bucket = self._buckets[(len(cluster.tokens), _bucket_key(cluster.tokens))]
        bucket[id(cluster)] = bucket.pop(id(cluster))

    def _same_length(self, cluster: Cluster) -> list[Cluster]:
        """Clusters a generalised ``cluster`` might now cover (recent ones, bounded)."""
        length = len(cluster.tokens)
        first = _bucket_key(cluster.tokens)
        if first != WILDCARD:
            return self._recent((length, first), 4 * MAX_CANDIDATES)
        found: list[Cluster] = []
        for key in self._firsts.get(length, ()):
            found += self._recent((length, key), MAX_CANDIDATES)
        return found

    def _create(self, tokens: list[str]) -> Cluster:
        if self._live >= MAX_CLUSTERS:
            self._evict()
        cluster = Cluster(list(tokens))
        self._index(cluster)
        self._live += 1
        return cluster

    def _index(self, cluster: Cluster) -> None:
        length = len(cluster.tokens)
        first = _bucket_key(cluster.tokens)
        self._buckets.setdefault((length, first), {})[id(cluster)] = cluster
        self._firsts.setdefault(length, set()).add(first)
        self._by_id[cluster.id] = cluster

    def _unindex(self, cluster: Cluster) -> None:
        length = len(cluster.tokens)
        first = _bucket_key(cluster.tokens)
        bucket = self._buckets.get((length, first))
        if bucket is None:
            return
        bucket.pop(id(cluster), None)
        if not bucket:
            del self._buckets[(length, first)]
            self._firsts[length].discard(first)

    def _generalise(self, cluster: Cluster, tokens: list[str]) -> None:
        """Generalise the template of ``cluster`` where ``tokens`` differs from it."""
        self._unindex(cluster)
        template = cluster.tokens
        for index, token in enumerate(tokens):
            if not covers(template[index], token):
                template[index] = merge_tokens(template[index], token)
        cluster.refresh()
        self._index(cluster)

    def _absorb(self, cluster: Cluster) -> None:
        """Merge into ``cluster`` every other cluster its template covers."""
        template = cluster.tokens
        for other in self._same_length(cluster):
            if other is not cluster and all(map(covers, template, other.tokens)):
                self._merge_into(other, cluster)

    def _merge_into(self, member: Cluster, survivor: Cluster) -> None:
        self._unindex(member)
        member.merged_into = survivor
        survivor.count += member.count
        self._live -= 1

    def _register_siblings(self, cluster: Cluster) -> Cluster | None:
        """Record ``cluster`` under its sibling keys; merge and return survivor if one fills.

        A sibling key identifies "these tokens with position ``i`` blanked" by the position
        and running hashes of the tokens before and after it, so that computing all keys of
        a template costs linear time.
        """
        tokens = cluster.tokens
        constants = sum(1 for token in tokens if WILDCARD not in token)
        if constants <= SIBLING_CONTEXT:
            return None
        if len(self._siblings) >= MAX_SIBLING_KEYS:
            self._siblings.clear()
            self._keys_by_value.clear()
        prefixes = _running_hashes(tokens)
        suffixes = _running_hashes(tokens[::-1])[::-1]
        for position, token in enumerate(tokens):
            if WILDCARD in token:
                continue
            key = (position, prefixes[position], suffixes[position + 1])
            siblings = self._siblings.setdefault(key, {})
            siblings[token] = cluster
            self._keys_by_value.setdefault(token, []).append(key)
            size = len(siblings)
            if size >= KNOWN_VALUE_SIBLINGS and size >= self._sibling_threshold(siblings):
                del self._siblings[key]
                return self._merge_siblings(siblings, position)
        return None

    def _sibling_threshold(self, siblings: dict[str, Cluster]) -> int:
        """Distinct words needed before a position counts as a parameter.

        Words already proven to be parameter values in another context (the user names of
        "session closed for user X" reappearing in "session opened for user X") are strong
        evidence: two of them suffice. Otherwise capitalised words, usually names of states
        or kinds fixed in code (``Started``, ``RUNNING``), need more evidence than lower-case
        ones, which are more often free values such as user or host names.
        """
        if self._known_count(siblings) >= KNOWN_VALUE_SIBLINGS:
            return KNOWN_VALUE_SIBLINGS
        if any(word[:1].isupper() for word in siblings):
            return SIBLING_VALUES_CAPITALISED
        return SIBLING_VALUES

    def _known_count(self, siblings: dict[str, Cluster]) -> int:
        return sum(1 for word in siblings if word in self._known_values)

    def _merge_siblings(self, siblings: dict[str, Cluster], position: int) -> Cluster:
        members = {id(c): c for c in (m.final() for m in siblings.values())}
        survivor = max(members.values(), key=lambda member: member.count)
        self._unindex(survivor)
        merged = survivor.tokens[position]
        if len(self._known_values) >= MAX_KNOWN_VALUES:
            self._known_values.clear()
        for value in siblings:
            merged = merge_tokens(merged, value)
            if value not in self._known_values:
                self._known_values.add(value)
                self._pending.extend(self._keys_by_value.pop(value, ()))
        survivor.tokens[position] = merged
        survivor.refresh()
        self._index(survivor)
        for member in members.values():
            if member is not survivor:
                self._merge_into(member, survivor)
        return survivor

    def _evict(self) -> None:
        """Drop the least used half of the clusters (keeps memory bounded on wild logs).

        Every cache that could lead back to a dropped cluster is cleared; callers that keep
        their own references see ``evicted`` and place the line again.
        """
        ranked = sorted(self.clusters(), key=lambda cluster: cluster.count)
        for cluster in ranked[: len(ranked) // 2]:
            self._unindex(cluster)
            cluster.evicted = True
            self._live -= 1
        self._by_id = {key: c for key, c in self._by_id.items() if not c.final().evicted}
        for table in (self._signatures, self._skeletons, self._siblings, self._keys_by_value):
            table.clear()
        self._pending.clear()


def _skeleton(tokens: list[str]) -> str:
    """The words of a message without its pure value tokens (no letters, a wildcard).

    Lists of values vary in length (``( <*> <*> )``, ``bytes (<*>) sent``): messages that
    only differ in how many value tokens they carry share a skeleton.
    """
    return " ".join(token for token in tokens if WILDCARD not in token or _has_letter(token))


def _has_letter(token: str) -> bool:
    return any(char.isalpha() for char in token.replace(WILDCARD, ""))


def _bucket_key(tokens: list[str]) -> str:
    """Index key of a template: its first token, or ``<*>`` if that token holds a value."""
    if not tokens:
        return ""
    first = tokens[0]
    return WILDCARD if WILDCARD in first else first


def _running_hashes(tokens: list[str]) -> list[int]:
    """``result[i]`` identifies ``tokens[:i]`` (one more entry than tokens)."""
    running = 0
    result = [running]
    for token in tokens:
        running = hash((running, token))
        result.append(running)
    return result


def _best_match(candidates: list[Cluster], tokens: list[str]) -> Cluster | None:
    """The most specific cluster whose template matches ``tokens`` exactly.

    Equal tokens are counted at C speed first: a template whose equal tokens and wildcard
    tokens together do not cover the message cannot match and is skipped.
    """
    best: Cluster | None = None
    length = len(tokens)
    for cluster in candidates:
        if sum(map(eq, cluster.tokens, tokens)) + cluster.wild < length:
            continue
        if all(map(covers, cluster.tokens, tokens)) and (best is None or cluster.wild < best.wild):
            best = cluster
    return best


def _mergeable(candidates: list[Cluster], tokens: list[str]) -> Cluster | None:
    """A cluster differing from ``tokens`` only in value-like tokens, if similar enough."""
    best: Cluster | None = None
    best_same = MERGE_SIMILARITY * len(tokens)
    for cluster in candidates:
        same = sum(map(eq, cluster.tokens, tokens))
        if same >= best_same and all(map(value_compatible, cluster.tokens, tokens)):
            best, best_same = cluster, same
    return best
