"""Store.new_shard / Store.merge (memory/store.py, issue 16): per-worker recordings end in one store."""
import numpy as np
import pytest
from psigraph.memory import codec, keys
from psigraph.memory.store import Store

from psigraph.errors import PsigraphError

LABELS = [f"phase:r{i}" for i in range(4)] + [f"ch{i}" for i in range(6)]
KINDS = codec.kinds_for(LABELS)


@pytest.fixture(autouse=True)
def no_env_key(monkeypatch):
    monkeypatch.delenv(keys.ENV_VAR, raising=False)


def record(store, text, seed, persona="p", started_ms=1_000):
    q = np.random.default_rng(seed).integers(-3000, 3000, size=(40 + seed, len(LABELS))).astype(np.int16)
    rec = store.begin(text, persona=persona, emotion=(0.1 * seed, 0.0, -0.5), keep_text=True,
                      started_ms=started_ms + seed)
    for k in range(0, len(q), 4):
        rec.add(0, 5 * k, 5 * len(q[k:k + 4]), q[k:k + 4])
    rec.add(1, 0, 250, q[:8, :3].mean(axis=0), emo_vec=(0.1, 0.2, 0.3))
    return rec.commit(5 * len(q), LABELS, KINDS, 200.0, {"seed": seed})


def test_shards_merge_into_one_store_unchanged_and_only_once(tmp_path):
    main = Store(tmp_path / "main.db")
    record(main, "already here", 1)
    shards = []
    for i, text in enumerate(["first clip", "second clip"]):
        with main.new_shard(tmp_path / f"s{i}.db") as shard:
            assert shard.hash_text(text) == main.hash_text(text)      # same text-hash key as the store
            uid = record(shard, text, 2 + i)
            shard.set_mood("p", {"clip": i})
            shards.append((tmp_path / f"s{i}.db", text, shard.replay(uid), shard.signature(uid)))
    new = [main.merge(path) for path, *_ in shards]
    assert [len(ids) for ids in new] == [1, 1] and new[0][0] < new[1][0]
    for (path, text, frames, sig), (uid,) in zip(shards, new):
        assert main.utterance(uid).text == text and main.find(text) == uid
        np.testing.assert_array_equal(main.replay(uid), frames)       # frames, CRCs and decoding survive
        assert main.signature(uid) == sig
    assert main.mood("p") == {"clip": 1}
    assert main.merge(shards[0][0]) == []                             # idempotent: merged once only
    assert len(main.utterances()) == 3 and main.verify() == []
    main.close()


def test_merge_refuses_a_store_with_another_hash_key(tmp_path):
    with Store(tmp_path / "main.db") as main, Store(tmp_path / "other.db") as other:
        record(other, "stranger", 1)
        with pytest.raises(PsigraphError, match="text-hash key"):
            main.merge(tmp_path / "other.db")
        assert main.utterances() == []
        with pytest.raises(PsigraphError, match="exists"):
            main.new_shard(tmp_path / "other.db")
