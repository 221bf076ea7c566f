import { Effect } from "effect"
import { makeMemoryStorage } from "../src/MemoryStorage.js"
import { storageContract } from "./StorageContract.js"

storageContract("MemoryStorage", Effect.sync(() => makeMemoryStorage("memory-test")))
