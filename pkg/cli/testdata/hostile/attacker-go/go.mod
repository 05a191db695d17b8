module attacker

go 1.22
