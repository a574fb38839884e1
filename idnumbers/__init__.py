"""Indonesian identity-number rules: NIK, NPWP and the region codes they carry.

Pure and small: no Django, no OpenCV. Used by the OCR engine (to check and repair
readings), by kyc's scorer and by the synthetic card generator. Built on python-stdnum
(`stdnum.id.nik`, `stdnum.id.npwp`) where its rules fit; the region table is
Kemendagri's (see regencies.dat for why stdnum's loc.dat is not used for codes).
"""
