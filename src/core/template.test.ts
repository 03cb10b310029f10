import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileTemplate, templateProblem } from './template.ts';

const vars = {
  person: { site: 'New York', mail: ['Ada@Example.com', 'a2@x'], level: 3, empty: '' },
  numbers: { extension: '2001', did: '+1 (212) 555-0101' },
};

test('variables and filters render', () => {
  const render = (s: string) => compileTemplate(s).render(vars);
  assert.equal(render('{{person.site}}-ext'), 'New York-ext');
  assert.equal(render('{{ person.site | lower }}'), 'new york');
  assert.equal(render('{{person.mail|upper}}'), 'ADA@EXAMPLE.COM');
  assert.equal(render('{{numbers.did | digits | last:4}}'), '0101');
  assert.equal(render('L{{person.level}}'), 'L3');
  assert.equal(render('{{person.title | default:"staff"}}'), 'staff');
  assert.equal(render("{{person.empty | default:'none'}}"), 'none');
  assert.equal(render('no variables'), 'no variables');
});

test('refs list what a template reads', () => {
  const t = compileTemplate('{{person.site}}/{{numbers.extension}}/{{person.site}}');
  assert.deepEqual(t.refs, [
    { root: 'person', name: 'site' },
    { root: 'numbers', name: 'extension' },
  ]);
  assert.equal(t.constant, false);
  assert.equal(compileTemplate('nyc-ext').constant, true);
});

test('a missing variable is a problem naming the person and the field', () => {
  const t = compileTemplate('{{person.site}} {{person.title}}');
  assert.equal(t.render(vars), undefined);
  assert.equal(t.missing(vars), 'person.title');
  const problem = templateProblem(t, vars, { personId: 'p7', where: 'profile x' });
  assert.equal(problem.field, 'title');
  assert.equal(problem.record, 'p7');
  assert.match(problem.message, /person p7 has no value for person\.title/);
});

test('malformed templates and unknown filters are refused at compile time', () => {
  assert.throws(() => compileTemplate('{{person.site'), /without a closing/);
  assert.throws(() => compileTemplate('{{person.site | shell}}'), /unknown filter "shell"/);
  assert.throws(() => compileTemplate('{{constructor.constructor("x")()}}'), /not root\.name/);
  assert.throws(() => compileTemplate('{{person.site | last:x}}'), /last needs a count/);
  assert.throws(() => compileTemplate('a }} b'), /without an opening/);
});

test('a prototype name is not a value', () => {
  const t = compileTemplate('{{person.constructor}}');
  assert.equal(t.render({ person: {} }), undefined);
});
