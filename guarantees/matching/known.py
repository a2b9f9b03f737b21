"""Names banks are still written by after a merger or a renaming: public facts, not learned from any register.

Guarantees outlive bank mergers: a guarantee issued by SABB or NCB years ago is now held by the bank that
absorbed it, and the team's lists keep the old name. Each former name points to a current name; it matches
only when exactly one dictionary entry carries that current name (or code), and never outranks a name the
dictionary itself holds.
"""

from __future__ import annotations

from collections.abc import Mapping

FORMER_BANK_NAMES: Mapping[str, str] = {
    # SABB (The Saudi British Bank) became Saudi Awwal Bank in 2023; Alawwal Bank, formerly Saudi Hollandi
    # Bank, had merged into it in 2019.
    "SABB": "Saudi Awwal Bank",
    "Saudi British Bank": "Saudi Awwal Bank",
    "البنك السعودي البريطاني": "البنك السعودي الأول",
    "ساب": "البنك السعودي الأول",
    "Alawwal Bank": "Saudi Awwal Bank",
    "البنك الأول": "البنك السعودي الأول",
    "Saudi Hollandi Bank": "Saudi Awwal Bank",
    "البنك السعودي الهولندي": "البنك السعودي الأول",
    # The National Commercial Bank and Samba Financial Group (formerly Saudi American Bank) merged into the
    # Saudi National Bank in 2021.
    "NCB": "Saudi National Bank",
    "National Commercial Bank": "Saudi National Bank",
    "البنك الأهلي التجاري": "البنك الأهلي السعودي",
    "SAMBA": "Saudi National Bank",
    "Samba Financial Group": "Saudi National Bank",
    "Saudi American Bank": "Saudi National Bank",
    "سامبا": "البنك الأهلي السعودي",
    "مجموعة سامبا المالية": "البنك الأهلي السعودي",
    "البنك السعودي الأمريكي": "البنك الأهلي السعودي",
    # Banque Saudi Fransi's former English name.
    "Saudi French Bank": "Banque Saudi Fransi",
}

KNOWN_NAMES: Mapping[str, Mapping[str, str]] = {"bank": FORMER_BANK_NAMES, "supplier": {}}
