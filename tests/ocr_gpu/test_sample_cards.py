"""The synthetic card generator: deterministic, structurally valid, contract field names. No Django."""

import json

from cardgen.cards import make_card, render_card, write_sample_set
from idnumbers.nik import decode_nik
from idnumbers.npwp import is_valid_npwp

KTP_FIELDS = {"nik", "name", "birth_place", "birth_date", "gender", "blood_type", "address", "rt_rw"}
KTP_FIELDS |= {
    "village",
    "district",
    "religion",
    "marital_status",
    "occupation",
    "nationality",
    "valid_until",
}
KTP_FIELDS |= {"province", "city"}
NPWP_FIELDS = {"npwp", "name", "nik", "address", "kpp", "registered_date"}


def test_the_same_seed_gives_the_same_cards() -> None:
    assert render_card(7, 3)[1] == render_card(7, 3)[1]
    assert render_card(7, 3)[1] != render_card(8, 3)[1]


def test_cards_use_the_contract_field_names_and_valid_numbers() -> None:
    cards = [make_card(4, index)[0] for index in range(80)]
    for card in cards:
        allowed = KTP_FIELDS if card.doc_type == "KTP" else NPWP_FIELDS
        assert set(card.fields) <= allowed
        if "nik" in card.fields:
            assert decode_nik(card.fields["nik"]) is not None
        if card.doc_type == "NPWP":
            npwp = card.fields["npwp"]
            assert is_valid_npwp(npwp)
    assert {card.difficulty for card in cards} == {"clean", "photo", "hard"}
    assert any(card.expected_checks for card in cards)


def test_it_writes_images_and_truth(tmp_path) -> None:
    truth = write_sample_set(tmp_path, 3, seed=9)
    records = [json.loads(line) for line in truth.read_text().splitlines()]
    assert len(records) == 3
    for record in records:
        assert (tmp_path / record["file"]).read_bytes()[:2] == b"\xff\xd8"
        assert record["difficulty"] in ("clean", "photo", "hard")
        assert record["doc_type"] in ("KTP", "NPWP")
