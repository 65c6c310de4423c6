import { normaliseUtterance } from './normaliseUtterance.js';

/**
 * Words of an angry or distressed visitor. Whole words or phrases on normalised text; a negation
 * just before ("I'm not angry", "not a waste of time") cancels them.
 */
const UPSET_PHRASES = [
  'ridiculous', 'useless', 'angry', 'furious', 'livid', 'fuming', 'waste of time', 'wasting my time', 'unacceptable', 'disgraceful',
  'disgrace', 'pathetic', 'hopeless', 'rubbish', 'terrible', 'awful', 'appalling', 'outrageous', 'stupid machine', 'stupid thing',
  'fed up', 'sick of', 'sick and tired', 'had enough', 'annoyed', 'annoying', 'frustrated', 'frustrating', 'fuck', 'fucking', 'shit', 'bullshit',
  'crap', 'damn', 'bloody', 'bollocks', 'bastard', 'pissed off', 'piss off', 'idiot', 'idiotic', 'this is a joke', 'complain',
  'complaint', 'worst',
];
const PATTERN = new RegExp(`(?:^| )(?:(not|never|no) (?:\\S+ )?)?(?:${UPSET_PHRASES.join('|')})(?= |$)`, 'g');

/** Whether `text` sounds angry or distressed ("this is ridiculous", "what a waste of time", a swear word). */
export function isUpset(text: string): boolean {
  const normal = normaliseUtterance(text);
  for (const match of normal.matchAll(PATTERN)) if (match[1] === undefined) return true;
  return false;
}
