module uploadkit.bench/peers/go

go 1.19
