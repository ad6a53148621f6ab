import { returnedRows } from './returned-rows';

describe('returnedRows', () => {
  it('takes the rows out of the [rows, affectedCount] pair TypeORM answers an UPDATE or DELETE with', () => {
    expect(returnedRows([[{ id: 'a' }, { id: 'b' }], 2])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(returnedRows([[], 0])).toEqual([]);
  });

  it('answers the rows of a SELECT, an INSERT or a CTE as they are', () => {
    expect(returnedRows([{ id: 'a' }])).toEqual([{ id: 'a' }]);
    expect(returnedRows([])).toEqual([]);
  });

  it('never mistakes two rows for a pair: rows are objects, the count is a number', () => {
    expect(returnedRows([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(returnedRows([{ n: 1 }, 2])).toEqual([{ n: 1 }, 2]);
  });
});
