module github.com/onyxml/onyx/backends/arm64/_asm

go 1.26
