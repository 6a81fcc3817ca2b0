import { MemoryKeyStore } from '../src/index.js';
import { keyStoreContract } from './support/key-store-contract.js';

keyStoreContract('MemoryKeyStore', () => Promise.resolve(new MemoryKeyStore()));
