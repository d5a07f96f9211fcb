// Placeholder entry; replaced by the emulator CLI.
