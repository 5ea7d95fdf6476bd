"""`make e2e`: deploy the example app to a local AWS emulator with the README's commands."""
