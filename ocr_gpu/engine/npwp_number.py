"""The 15-digit NPWP number `ST.sss.sss.C-OOO.BBB`: C is a Luhn check digit over the first 8."""


def luhn_check_digit(digits: str) -> str:
    total = 0
    # Counting from the right of the payload, every first digit is doubled (the check digit follows).
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 0:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return str((10 - total % 10) % 10)


def is_valid_npwp15(digits: str) -> bool:
    return len(digits) == 15 and digits.isdigit() and luhn_check_digit(digits[:8]) == digits[8]


def format_npwp15(digits: str) -> str:
    d = digits
    return f"{d[0:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:15]}"
